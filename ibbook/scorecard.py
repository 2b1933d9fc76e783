"""The reproduction scorecard: every claim of the five sources beside what the chapters recorded.

The claims, the sources' numbers and the predicates that grade them live in
:mod:`ibbook.sources` (one module per source); the verdict protocol in
:mod:`ibbook.sources.protocol`. This module evaluates each claim on the best recorded scale of
its chapter and renders the rows for ``chapters/scorecard.ipynb``. Verdicts are never typed by
hand; they follow from the recorded numbers:

- ``verified``: a theorem's numerical check passed (value within its stated bound);
- ``holds``: the paper's effect is seen, and the test was fair (baseline, uncertainty, power,
  adequately trained models);
- ``does not hold``: the test was fair and the effect is absent (or a theorem's check failed);
- ``inconclusive at this scale``: the test was not fair yet; the reasons are given;
- ``not run at this scale``: no result file at the scales read, or the file lacks the number
  (then ``ours`` says what is not recorded).

Used by: ``chapters/scorecard.ipynb`` and ``tests/test_scorecard.py``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping, Sequence

from . import records, sources
from .sources.protocol import (ACCURACY_MARGIN, ALPHA, CHANCE_MARGIN, FAILS, HOLDS,
                               INCONCLUSIVE, MIN_POWER, NOT_RUN, VERDICTS, VERIFIED, Claim,
                               NotRecorded, Outcome, get, id_test_power, id_test_n_needed)
from .sources.s001 import TABLE4_ACCURACY

#: Source number -> (bibliography key, name).
SOURCES = sources.SOURCES
#: Scales read by default, best first.
BEST_FIRST = ("full", "large", "medium", "small")
Entry = Claim
ENTRIES: tuple[Claim, ...] = sources.CLAIMS

__all__ = ["ACCURACY_MARGIN", "ALPHA", "CHANCE_MARGIN", "FAILS", "HOLDS", "INCONCLUSIVE",
           "MIN_POWER", "NOT_RUN", "VERDICTS", "VERIFIED", "Entry", "ENTRIES", "NotRecorded",
           "Outcome", "SOURCES", "TABLE4_ACCURACY", "build", "counts", "evaluate", "get",
           "html_table", "id_test_power", "id_test_n_needed", "slug"]


def anchor(entry: Claim) -> str:
    return slug(entry.section)


def slug(heading: str) -> str:
    """The HTML id Sphinx gives a section heading (docutils ``make_id``, roles and math dropped)."""
    text = re.sub(r"\{[a-z:]+\}`([^`]*)`", r"\1", heading)
    text = unicodedata.normalize("NFKD", text.replace("$", "")).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower())
    return re.sub(r"^[^a-z]+", "", text).strip("-")


def record_label(record: Mapping[str, Any]) -> str:
    """scale, device and data variant of a run, in one short line."""
    data = "; ".join(f"{k}: {v}" for k, v in record.get("data_variants", {}).items())
    dev = record.get("device_name") or record.get("device")
    return (f"{record.get('scale')}, {record.get('device')}"
            f"{f' ({dev})' if dev and dev != record.get('device') else ''}"
            f"{f', {data}' if data else ''}")


def _identity(entry: Claim) -> dict[str, Any]:
    """The columns of a row that name the claim (not its grade): id, source, item, claim,
    chapter, section, anchor and the paper's number."""
    return {"id": entry.id, "source": entry.source, "item": entry.item, "claim": entry.claim,
            "chapter": entry.chapter, "section": entry.section, "anchor": anchor(entry),
            "paper": entry.paper}


def evaluate(entry: Claim, scales: Sequence[str] = BEST_FIRST) -> dict[str, Any]:
    """One scorecard row: the entry's check on the first scale (in ``scales``, largest first)
    that records it with a decisive verdict (verified, holds, does not hold; a fair test by
    the protocol at that scale), else on the first that records it at all (inconclusive). So a
    larger run that predates a baseline does not hide a fair test at a smaller scale, and a
    decisive larger run always wins over a smaller one. A check that needs another chapter's
    results (a model's accuracy) reads them at the same scale."""
    row = _identity(entry)
    missing, first = [], None
    for scale in scales:
        got = records.load_results(entry.chapter, scale)
        if got is None:
            continue

        def other(chapter: str, scale: str = scale) -> Mapping[str, Any] | None:
            found = records.load_results(chapter, scale)
            return None if found is None else found["results"]
        other.record = got.get("record", {})  # the run's settings, for checks that need them
        try:
            out = entry.check(got["results"], other)
        except NotRecorded as err:
            missing.append(f"{scale}: {err.args[0]}")
            continue
        needs = [entry.needs()] if entry.needs is not None and out.verdict == INCONCLUSIVE else []
        graded_row = {**row, "ours": out.ours, "verdict": out.verdict, "fair": out.fair,
                      "reasons": list(out.reasons) + needs, "scale": scale,
                      "run": record_label(got["record"])}
        if out.verdict != INCONCLUSIVE:
            return graded_row
        first = first or graded_row
    if first is not None:
        return first
    tried = [m.split(": ", 1)[0] for m in missing]
    what = "; ".join(dict.fromkeys(m.split(": ", 1)[1] for m in missing))  # each message once
    ours = f"not recorded at the {', '.join(tried)} scale{'s' * (len(tried) > 1)} ({what})" if missing \
        else f"no result file at the {', '.join(scales)} scales"
    if entry.needs is not None:
        ours += f"; {entry.needs()}"
    return {**row, "ours": ours, "verdict": NOT_RUN, "fair": "-", "reasons": [], "scale": "-",
            "run": "-", "missing": missing}


def chapter_rows(chapter: str, results: Mapping[str, Any], label: str = "this run",
                 other: Any = None) -> list[dict[str, Any]]:
    """The claims a chapter tests, graded on ``results`` held in memory (the run the chapter has
    just made, before its file is saved): rows as :func:`evaluate` gives them, ``run`` set to
    ``label``; a claim whose number ``results`` lacks is ``not run at this scale`` with the
    missing path. An unknown ``chapter`` (no claim names it) is a ValueError listing the known
    ones. Used by: the chapters' verdict sections (pReLU)."""
    entries = [e for e in ENTRIES if e.chapter == chapter]
    if not entries:
        known = sorted({e.chapter for e in ENTRIES})
        raise ValueError(f"chapter={chapter!r} tests no claim; use one of {known}")
    rows = []
    for entry in entries:
        row = {**_identity(entry), "scale": label, "run": label}
        try:
            out = entry.check(results, other)
        except NotRecorded as err:
            rows.append({**row, "ours": f"not recorded ({err.args[0]})", "verdict": NOT_RUN,
                         "fair": "-", "reasons": []})
            continue
        rows.append({**row, "ours": out.ours, "verdict": out.verdict, "fair": out.fair,
                     "reasons": list(out.reasons)})
    return rows


def build(scales: Sequence[str] = BEST_FIRST) -> list[dict[str, Any]]:
    """Every entry evaluated (see :func:`evaluate`)."""
    return [evaluate(e, scales) for e in ENTRIES]


def counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Number of rows per verdict, every verdict listed."""
    return {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}


#: Badge colours of the verdicts.
COLOURS = {VERIFIED: "#1a7f37", HOLDS: "#2da44e", FAILS: "#cf222e", INCONCLUSIVE: "#bf8700",
           NOT_RUN: "#6e7781"}


def badge(verdict: str) -> str:
    """A verdict as a coloured badge (inline styles: no CSS file needed)."""
    return (f'<span class="verdict" style="background:{COLOURS[verdict]};color:#fff;'
            f'padding:1px 5px;border-radius:8px;display:inline-block;'
            f'white-space:normal;overflow-wrap:normal;word-break:normal;hyphens:none;'
            f'line-height:1.3;font-size:85%">{verdict}</span>')


TABLE_STYLE = ("width:100%;table-layout:fixed;border-collapse:collapse;font-size:88%;"
               "word-wrap:break-word;overflow-wrap:anywhere")


def html_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows of one source as an HTML table, verdict badge first, each with a short § link to its
    chapter section; *ours* one measured number a line, with the scale it was read at (the run's
    full provenance is listed once under the table by :func:`source_html`); the reasons of an
    inconclusive verdict (each once) go with the *fair test?* text, so the verdict column stays
    narrow; wraps instead of scrolling."""
    from html import escape

    cols = (("verdict", "12%"), ("claim", "22%"), ("§", "4%"), ("paper", "15%"),
            ("ours", "24%"), ("fair test?", "23%"))
    out = [f'<table class="table scorecard" style="{TABLE_STYLE}">', "<colgroup>"
           + "".join(f'<col style="width:{w}">' for _, w in cols) + "</colgroup>",
           "<thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c, _ in cols) + "</tr></thead>",
           "<tbody>"]
    for r in rows:
        link = (f'<a href="{r["chapter"]}.html#{r["anchor"]}" title="{escape(r["section"])}">'
                f"§</a>")
        reasons = list(dict.fromkeys(r.get("reasons", ())))
        why = "".join(f"<br><i>why inconclusive: {escape(x)}</i>" if i == 0 else
                      f"<br><i>{escape(x)}</i>" for i, x in enumerate(reasons))
        run = f"<br><small>({escape(r['scale'])})</small>" if r["run"] != "-" else ""
        claim = (f"<b>{escape(r['item'])}</b>: {escape(r['claim'])}"
                 f"<br><small><code>{escape(r['id'])}</code></small>")
        cells = (badge(r["verdict"]), claim, link, escape(r["paper"]),
                 "<br>".join(escape(x) for x in _parts(r["ours"])) + run, escape(r.get("fair", "-")) + why)
        out.append("<tr>" + "".join(f'<td style="vertical-align:top">{c}</td>' for c in cells)
                   + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _parts(text: str) -> list[str]:
    """``text`` split at each "; " outside parentheses and brackets (one number a line)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if depth == 0 and text.startswith("; ", i):
            out.append(text[start:i])
            start = i + 2
    return out + [text[start:]]


def source_html(rows: Sequence[Mapping[str, Any]], source: str) -> str:
    """One source's section of the scorecard page: its :func:`summary` sentences as a list, then
    its rows as :func:`html_table`. A ``source`` with no row is a ValueError naming those with
    rows."""
    from html import escape

    mine = [r for r in rows if r["source"] == source]
    if not mine:
        raise ValueError(f"source={source!r} has no row; use one of "
                         f"{sorted({r['source'] for r in rows})}")
    runs = dict.fromkeys(r["run"] for r in mine if r["run"] != "-")
    runs_html = ("<p><small>Runs read: " + "; ".join(escape(x) for x in runs) + ".</small></p>"
                 if runs else "")
    return ("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in summary(mine)) + "</ul>\n"
            + html_table(mine) + runs_html)


def _items(rows: Sequence[Mapping[str, Any]], limit: int = 4) -> str:
    names = [r["item"] if r["item"] not in ("Table 1", "Verdicts") else r["claim"]
             for r in rows]
    names = list(dict.fromkeys(names))
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return "; ".join(names[:limit]) + more


def summary(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """3-5 plain sentences on one source's rows: what holds, what does not, what is untested
    (inconclusive or not run) and what it would take."""
    by = {v: [r for r in rows if r["verdict"] == v] for v in VERDICTS}
    out = []
    good = by[VERIFIED] + by[HOLDS]
    if good:
        out.append(f"Verified or holds ({len(good)}): {_items(good)}.")
    else:
        out.append("Nothing holds yet at the scales run.")
    if by[FAILS]:
        out.append(f"Does not hold ({len(by[FAILS])}): {_items(by[FAILS])}.")
    else:
        out.append("No claim fails a fair test.")
    inc = by[INCONCLUSIVE]
    if inc:
        reasons: dict[str, int] = {}
        for r in inc:
            for why in r["reasons"]:
                kind = (why.split(" (")[0] if why.startswith(("no ", "power")) else
                        "a model under-trained or near chance")
                kind = "too little power" if kind.startswith("power") else kind
                reasons[kind] = reasons.get(kind, 0) + 1
        top = ", ".join(f"{k} ({n})" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
        out.append(f"Inconclusive at this scale ({len(inc)}): {_items(inc)}; reasons: {top}.")
        take = []
        if any(k.startswith("no baseline in this run") for k in reasons):
            take.append("measure the untrained networks at the same seed")
        if any(k.startswith("no baseline recorded") for k in reasons):
            take.append("record the baseline each row names (e.g. masks trained with "
                        "lambda = 0)")
        if any("uncertainty" in k for k in reasons):
            take.append("repeat over at least 3 seeds or bootstrap over images")
        if any("power" in k for k in reasons):
            needed = sorted({int(m) for r in inc for why in r["reasons"]
                             for m in re.findall(r"needs N >= (\d+)", why)})
            if needed:
                span = (f"{needed[0]}" if len(needed) == 1 else
                        f"{needed[0]} to {needed[-1]}")
                take.append(f"{span} mask pairs per Id test (the N needed for each row's "
                            "paper effect)")
            else:
                take.append("more draws for the under-powered tests")
        if any("model" in k for k in reasons):
            take.append("train the models to within "
                        f"{ACCURACY_MARGIN:.0%} of the paper's accuracy (the full scale, a GPU)")
        if take:
            out.append("What a verdict would take: " + "; ".join(take) + ".")
    if by[NOT_RUN]:
        out.append(f"Not run at this scale ({len(by[NOT_RUN])}): {_items(by[NOT_RUN])}.")
    return out[:5]
