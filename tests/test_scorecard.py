"""The scorecard: verdicts from the committed result files, links to real sections, and a
tampered result file flips the verdict it feeds."""
import json
import re
from pathlib import Path

import pytest

from ibbook import scorecard

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def results(tmp_path, monkeypatch):
    """An empty $IBBOOK_RESULTS (read before the committed data/results)."""
    monkeypatch.setenv("IBBOOK_RESULTS", str(tmp_path))
    return tmp_path


def tamper(folder: Path, chapter: str, scale: str, edit) -> None:
    src = ROOT / "data" / "results" / chapter / f"{scale}.json"
    data = json.loads(src.read_text())
    edit(data["results"])
    (folder / chapter).mkdir(parents=True, exist_ok=True)
    (folder / chapter / f"{scale}.json").write_text(json.dumps(data))


def row(rows, source, item, claim_start=""):
    found = [r for r in rows if r["source"] == source and r["item"] == item
             and r["claim"].startswith(claim_start)]
    assert len(found) == 1, (source, item, claim_start, len(found))
    return found[0]


def test_every_verdict_is_one_of_the_five(results):
    rows = scorecard.build()
    assert len(rows) == len(scorecard.ENTRIES) > 40
    assert {r["verdict"] for r in rows} <= set(scorecard.VERDICTS)
    assert sum(scorecard.counts(rows).values()) == len(rows)


def test_committed_results_give_the_expected_kinds_of_verdict(results):
    # only the committed full / medium files (small.json files are not committed)
    rows = scorecard.build(("full", "medium"))
    assert row(rows, "000", "Lemma 2.1")["verdict"] == "verified"
    assert row(rows, "000", "Lemma 2.1")["scale"] == "full"
    assert row(rows, "000", "eq. 14 as printed")["verdict"] == "does not hold"
    assert row(rows, "002", "abstract: depth")["scale"] == "medium"


def write_results(folder: Path, chapter: str, scale: str, results: dict) -> None:
    (folder / chapter).mkdir(parents=True, exist_ok=True)
    record = {"scale": scale, "device": "cpu", "data_variants": {}}
    (folder / chapter / f"{scale}.json").write_text(
        json.dumps({"record": record, "results": results}))


def test_sources_are_the_bibliography_keys():
    bib = (ROOT / "references.bib").read_text()
    for key, _ in scorecard.SOURCES.values():
        assert f"{{{key}," in bib
    assert {e.source for e in scorecard.ENTRIES} == set(scorecard.SOURCES)


def test_every_link_points_at_a_section_of_its_chapter():
    for entry in scorecard.ENTRIES:
        cells = json.loads((ROOT / "chapters" / f"{entry.chapter}.ipynb").read_text())["cells"]
        heads = [line.lstrip("#").strip() for c in cells if c["cell_type"] == "markdown"
                 for line in "".join(c["source"]).splitlines() if re.match(r"#{2,4} ", line)]
        assert entry.section in heads, (entry.chapter, entry.section)


def test_slug_matches_sphinx_ids():
    assert scorecard.slug("1. Gradient descent on separable data finds the max-margin "
                          "direction") == "gradient-descent-on-separable-data-finds-the-max-margin-direction"
    assert scorecard.slug("4. Wide shallow ReLU networks: rich regime → linear spline") == \
        "wide-shallow-relu-networks-rich-regime-linear-spline"
    assert scorecard.slug("Robustness against $K$") == "robustness-against-k"


def test_tampered_theorem_check_flips_verified(results):
    tamper(results, "attacks", "full", lambda r: r.update(lemma21_max_rel_dev=0.5))
    got = row(scorecard.build(), "000", "Lemma 2.1")
    assert got["verdict"] == "does not hold" and "0.5" in got["ours"]


def test_number_within_tolerance_is_reproduced_and_outside_is_not(results):
    entry = next(e for e in scorecard.ENTRIES if e.item == "Table 1, Id")
    write_results(results, "intrinsic_dim", "medium", {"spiral": {"id": 1.03}})
    assert scorecard.evaluate(entry, ("medium",))["verdict"] == "holds"
    write_results(results, "intrinsic_dim", "medium", {"spiral": {"id": 1.5}})
    got = scorecard.evaluate(entry, ("medium",))
    assert got["verdict"] == "does not hold" and "1.5" in got["ours"]
    assert got["run"] == "medium, cpu"


def test_tampered_finding_flips_the_verdict(results):
    """A learning-dynamics finding with an adequately trained network (tampered accuracy):
    holds, and does not hold once its recorded text is flipped; the Fourier-bias findings stay
    inconclusive (no untrained baseline in the run) either way."""
    def trained(r):
        acc = r["dynamics"]["attacked accuracy"]
        acc[max(acc, key=int)] = 0.95

    def flip(r):
        trained(r)
        for k, v in r["verdicts"].items():
            if "the success rate rises with accuracy" in k:
                r["verdicts"][k] = "does not hold" + v[len("holds"):]
    tamper(results, "learning_dynamics", "medium", trained)
    before = row(scorecard.build(), "001", "Fig. 2a", "the success rate rises")
    tamper(results, "learning_dynamics", "medium", flip)
    after = row(scorecard.build(), "001", "Fig. 2a", "the success rate rises")
    assert (before["verdict"], after["verdict"]) == ("holds", "does not hold")
    fb = row(scorecard.build(), "001", "Table 1", "linear: full conv has a sparser beta^")
    assert fb["verdict"] == "inconclusive at this scale"
    assert any("no baseline in this run" in x for x in fb["reasons"])


def test_a_missing_number_says_not_recorded(results):
    tamper(results, "attacks", "full", lambda r: r.pop("lemma21_max_rel_dev"))
    got = scorecard.evaluate(next(e for e in scorecard.ENTRIES if e.item == "Lemma 2.1"),
                             ("full",))
    assert got["verdict"] == "not run at this scale"
    assert "not recorded" in got["ours"] and "lemma21_max_rel_dev" in " ".join(got["missing"])
    none = scorecard.evaluate(scorecard.ENTRIES[0], ("huge",))
    assert none["verdict"] == "not run at this scale" and "no result file" in none["ours"]


def test_rows_beyond_the_cpu_say_what_they_need(results):
    # CCT-7's Table 2 rows are never run here: the row names the GPU hours of reproduce --estimate
    cct = scorecard.evaluate(next(e for e in scorecard.ENTRIES if e.id == "003.table2.cct7.fmn"))
    assert cct["verdict"] == "not run at this scale"
    assert "GPU" in cct["ours"] and "reproduce --estimate" in cct["ours"]
    r20 = next(e for e in scorecard.ENTRIES if e.id == "003.table2.resnet20.fmn")
    assert r20.needs is None  # ResNet-20's row runs on the CPU


def test_html_table_links_to_the_chapter_page(results):
    rows = [r for r in scorecard.build() if r["source"] == "004"]
    html = scorecard.html_table(rows)
    assert html.count("<tr>") == len(rows) + 1
    assert 'href="prelu.html#robustness-against-k"' in html


def test_accuracy_table_complement_and_radii_checks(results):
    t4 = next(e for e in scorecard.ENTRIES if e.source == "001" and e.item == "Table 4")
    paper = scorecard.TABLE4_ACCURACY
    for acc, verdict in (({k: v + 0.03 for k, v in paper.items()}, "holds"),
                         ({k: v + 0.2 for k, v in paper.items()}, "does not hold"),
                         ({k: v - 0.2 * (v > 0.5) for k, v in paper.items()},
                          "inconclusive at this scale")):
        write_results(results, "fourier_bias", "medium", {"test_accuracy": acc})
        assert scorecard.evaluate(t4, ("medium",))["verdict"] == verdict
    write_results(results, "fourier_bias", "medium", {"test_accuracy": {"FC": 0.4}})
    assert "VGG-19" in scorecard.evaluate(t4, ("medium",))["ours"]

    comp = next(e for e in scorecard.ENTRIES if e.item == "Fourier masks: complement")
    for m, c, acc, n, verdict in (
            (0.95, 0.5, 0.8, 1000, "holds"), (0.95, 0.1, 0.8, 1000, "holds"),
            (0.8, 0.1, 0.8, 1000, "does not hold"), (0.95, 0.9, 0.8, 1000, "does not hold"),
            (0.95, 0.5, 0.12, 1000, "inconclusive at this scale"),
            (0.95, 0.5, 0.3, 1000, "inconclusive at this scale"),  # < 50 %, no paper acc
            (14 / 15, 2 / 15, 0.8, 15, "inconclusive at this scale"),  # interval too wide
            (0.95, 0.1, 0.8, None, "inconclusive at this scale")):  # n not recorded
        c_res = {"acc_mask": m, "acc_complement": c, **({"n": n} if n else {})}
        write_results(results, "fourier_masks", "medium",
                      {"vgg11_complement": c_res, "accuracy": {"vgg11_gray": acc}})
        assert scorecard.evaluate(comp, ("medium",))["verdict"] == verdict

    teach = next(e for e in scorecard.ENTRIES if e.item.endswith("not robust), the classifier"))
    for radius, verdict in ((0.5, "verified"), (0.51, "does not hold")):
        write_results(results, "prelu", "medium", {"teachers": {"ks": [4], "F_centre_radius": [radius],
                                                                 "F_line_radius": [0.5]}})
        assert scorecard.evaluate(teach, ("medium",))["verdict"] == verdict


def test_html_table_is_verdict_first_with_short_links_and_fair_column(results):
    rows = [r for r in scorecard.build(("full", "medium")) if r["source"] == "003"]
    html = scorecard.html_table(rows)
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert head.index("verdict") < head.index("claim") and "fair test?" in head
    assert "intrinsic_dim.html#" in html and "Intrinsic dimension" not in head
    assert "overflow" in html and "table-layout:fixed" in html
    assert "N = 60 of 933 needed for the paper&#x27;s effect 10.6%" in html
    assert "power 0.16" in html


def test_summary_has_three_to_five_bullets_per_source(results):
    rows = scorecard.build(("full", "medium"))
    for src in scorecard.SOURCES:
        bullets = scorecard.summary([r for r in rows if r["source"] == src])
        assert 3 <= len(bullets) <= 5, (src, bullets)
    s003 = scorecard.summary([r for r in rows if r["source"] == "003"])
    # the per-row N needed (each row's paper effect), not one N for all rows
    assert any("933 to 2946 mask pairs per Id test" in b for b in s003), s003
    assert not any("1045" in b for b in s003)
    # the 000 summary follows the verdicts: the complement row is inconclusive, not failing
    s000 = scorecard.summary([r for r in rows if r["source"] == "000"])
    fails = next(b for b in s000 if b.startswith(("Does not hold", "No claim fails")))
    assert "complement" not in fails
    assert any("Inconclusive" in b and "complement" in b for b in s000)


def test_the_scorecard_page_reads_every_scale_best_first():
    # the page's default scale must read every committed scale in the scorecard's order; a scale
    # left out (as "large" once was) silently grades rows on weaker runs
    from ibbook.scales import SCALES

    assert SCALES["scorecard"]["small"]["reads"] == scorecard.BEST_FIRST


def test_chapter_rows_grade_results_in_memory():
    rows = scorecard.chapter_rows("prelu", {"teachers": {"ks": [4, 16],
                                                         "F_centre_radius": [0.5, 0.25], "F_line_radius": [0.5, 0.25]}})
    by = {r["id"]: r for r in rows}
    assert set(by) == {e.id for e in scorecard.ENTRIES if e.chapter == "prelu"}
    assert by["004.thm-relu.classifier"]["verdict"] == scorecard.VERIFIED
    assert by["004.mnist"]["verdict"] == scorecard.NOT_RUN and "mnist" in by["004.mnist"]["ours"]
    wrong = scorecard.chapter_rows("prelu", {"teachers": {"ks": [4, 16],
                                                          "F_centre_radius": [0.5, 0.25], "F_line_radius": [0.5, 0.3]}})
    assert wrong[0]["verdict"] == scorecard.FAILS
    assert "this run" in scorecard.html_table(rows)
    with pytest.raises(ValueError, match="chapter='prelude' tests no claim; use one of"):
        scorecard.chapter_rows("prelude", {})


def test_source_html_lists_the_summary_then_the_table():
    rows = scorecard.build()
    html = scorecard.source_html(rows, "004")
    assert html.startswith("<ul><li>") and html.count('<table class="table scorecard"') == 1
    assert all(f"<code>{r['id']}</code>" in html for r in rows if r["source"] == "004")
    assert "<code>003." not in html
    runs = {r["run"] for r in rows if r["source"] == "004" and r["run"] != "-"}
    assert html.count("MNIST: test-set mirror") == len(runs) < 4  # each run once, under the table
    assert scorecard._parts("a = 1 (x; y); b = [2; 3]; c") == ["a = 1 (x; y)", "b = [2; 3]", "c"]
    with pytest.raises(ValueError, match="source='005' has no row; use one of"):
        scorecard.source_html(rows, "005")


def test_a_decisive_smaller_scale_beats_an_inconclusive_larger_one(results):
    claim = next(e for e in scorecard.ENTRIES if e.id == "004.conjecture.p3")
    ci = lambda lo: {"p3_named_share_ci": [{"estimate": lo + 0.01, "lo": lo, "hi": lo + 0.02}],  # noqa: E731
                     "p3_centres_missed_max": 0, "p3_min_align_single_centre": 0.99}
    write_results(results, "prelu", "medium", {"gradient_flow": ci(0.89)})
    write_results(results, "prelu", "small", {"gradient_flow": ci(0.97)})
    row = scorecard.evaluate(claim, ("full", "medium", "small"))
    assert row["verdict"] == scorecard.HOLDS and row["scale"] == "small"
    # a decisive larger run wins, whatever the smaller one says
    write_results(results, "prelu", "medium", {"gradient_flow": ci(0.5)})
    row = scorecard.evaluate(claim, ("full", "medium", "small"))
    assert row["verdict"] == scorecard.FAILS and row["scale"] == "medium"
    # nothing decisive: the largest recorded scale, inconclusive
    write_results(results, "prelu", "small", {"gradient_flow": ci(0.89)})
    write_results(results, "prelu", "medium", {"gradient_flow": ci(0.895)})
    row = scorecard.evaluate(claim, ("full", "medium", "small"))
    assert row["verdict"] == scorecard.INCONCLUSIVE and row["scale"] == "medium"
