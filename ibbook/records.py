"""Run records and result files: what a run produced, and under which conditions.

Every result a chapter reports is stored with its *run record*: chapter, scale, device, dataset
variant, seed, wall time, git commit, library versions. Result files are how runs at a scale larger
than CI's reach the book honestly: running a chapter with papermill at ``scale="full"`` (on a GPU)
writes ``data/results/<chapter>/full.json``; committing that file lets the small-scale notebook,
re-executed by CI, show the full-scale numbers beside its own, with their provenance. The test
command writes to a temporary folder instead (``$IBBOOK_RESULTS``), so CI never touches the
committed files.

Used by: every chapter (last cells), and the scorecard.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import torch

from . import PROJECT_ROOT, pins
from .cache import atomic_write_text


def results_dir() -> Path:
    """``$IBBOOK_RESULTS`` or the project's ``data/results`` folder."""
    env = os.environ.get("IBBOOK_RESULTS")
    return Path(env).expanduser() if env else PROJECT_ROOT / "data" / "results"


def git_commit() -> str:
    """The project's current commit (with ``+dirty`` when the tree has changes), or ``"unknown"``."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


class Stopwatch:
    """Wall-clock timer; ``seconds`` is the elapsed time (frozen once the ``with`` block ends)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.end: float | None = None

    @property
    def seconds(self) -> float:
        return (self.end if self.end is not None else time.perf_counter()) - self.start


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """``with stopwatch() as t: ...`` then ``t.seconds``."""
    sw = Stopwatch()
    try:
        yield sw
    finally:
        sw.end = time.perf_counter()


def run_record(settings, *, wall_time_s: float, data_variants: Mapping[str, str] | None = None,
               **extra: Any) -> dict[str, Any]:
    """The provenance of one run: its settings plus device name, variants, time, commit, versions."""
    dev = settings.device
    device_name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"
    return {
        **settings.as_dict(),
        "device_name": device_name,
        "cpu_threads": torch.get_num_threads(),
        "data_variants": dict(data_variants or {}),
        "wall_time_s": round(float(wall_time_s), 2),
        "git_commit": git_commit(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "numerical_pins": pins.active(),
        **extra,
    }


def _plain(obj: Any) -> Any:
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in a result file")


def save_results(chapter: str, scale: str, results: Mapping[str, Any], record: Mapping[str, Any]) -> Path:
    """Write ``{"record": ..., "results": ...}`` to ``<results dir>/<chapter>/<scale>.json`` atomically."""
    path = results_dir() / chapter / f"{scale}.json"
    text = json.dumps({"record": dict(record), "results": dict(results)}, indent=2, sort_keys=True, default=_plain)
    return atomic_write_text(text + "\n", path)


def load_results(chapter: str, scale: str) -> dict[str, Any] | None:
    """The stored results of ``chapter`` at ``scale`` (``{"record", "results"}``), or ``None``.

    Looks in ``$IBBOOK_RESULTS`` first, then in the committed ``data/results``.
    """
    for folder in dict.fromkeys([results_dir(), PROJECT_ROOT / "data" / "results"]):
        path = folder / chapter / f"{scale}.json"
        if path.exists():
            return json.loads(path.read_text())
    return None


def flatten_results(results: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested results as ``{"section: key": text}``, numbers to 3 significant digits, lists joined
    by commas: one row per number, for a table of a small-scale run beside a full-scale one."""
    out: dict[str, str] = {}
    for key, value in results.items():
        name = f"{prefix}: {key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten_results(value, name))
        elif isinstance(value, (list, tuple)):
            out[name] = ", ".join(_fmt(v) for v in value)
        else:
            out[name] = _fmt(value)
    return out


def side_by_side(runs: Mapping[str, Mapping[str, Any]]) -> dict[str, "pd.DataFrame"]:
    """Results of several runs (name -> nested results) as one table per top-level section, rows
    the flattened keys within it (:func:`flatten_results`), columns the runs; a key a run lacks is
    shown as "-". For the *Larger runs* sections: short, whole tables instead of one long one."""
    import pandas as pd

    flat = {name: flatten_results(r) for name, r in runs.items()}
    sections: dict[str, dict[str, dict[str, str]]] = {}
    for name, rows in flat.items():
        for key, text in rows.items():
            section, _, item = key.partition(": ")
            sections.setdefault(section, {}).setdefault(item or section, {})[name] = text
    return {sec: pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(runs)).fillna("-")
            for sec, rows in sections.items()}


#: Below this, a residual or relative error of float64 arithmetic is round-off: its digits depend
#: on the CPU's kernels, so it is shown as a bound.
ROUND_OFF = 1e-12


def bound(value: float, tol: float = ROUND_OFF, digits: int = 2) -> str:
    """``"< tol"`` when ``|value| < tol`` (a residual at round-off level), else ``value`` to
    ``digits`` significant digits: what a reader needs of a residual, not its round-off."""
    value = float(value)
    return f"< {tol:.0e}" if abs(value) < tol else f"{value:.{digits}g}"


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return bound(value, ROUND_OFF, 3) if value != 0 else "0"
    return str(value)


def describe_record(record: Mapping[str, Any], width: int | None = 72) -> str:
    """What a reader checks a number against: scale, device, seed, data; then time and commit.

    The first part is wrapped to ``width`` characters (None: no wrapping); wall time and commit,
    which differ from run to run, always stand together on the last line.
    """
    variants = "; ".join(f"{k}: {v}" for k, v in record.get("data_variants", {}).items()) or "no data set"
    text = (f"scale={record.get('scale')}, device={record.get('device')} ({record.get('device_name')}), "
            f"seed={record.get('seed')}, data: {variants}")
    if width is not None:
        text = textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)
    return f"{text}\nwall time {record.get('wall_time_s')} s, commit {record.get('git_commit')}"
