"""Run a chapter notebook with papermill at a chosen scale and device.

    python -m ibbook.run chapters/data.ipynb --scale full --device cuda
    python -m ibbook.run chapters/data.ipynb --inplace        # refresh the committed outputs

Without ``--inplace`` the executed copy goes to ``_build/runs/<scale>/<name>.ipynb`` and the
committed notebook is left alone. Runs execute in ``chapters/`` (so relative paths behave as in the
book) and papermill's per-cell timestamps are dropped, so that re-executing an unchanged chapter
gives an unchanged file apart from genuinely varying outputs.

Used by: ``make execute`` and the README's instructions for larger runs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from . import PROJECT_ROOT, pins
from .params import DEVICES, check_choice


def use_this_environments_kernel() -> None:
    """Make the kernel named ``python3`` resolve to this Python environment's ipykernel.

    Jupyter looks in ``$JUPYTER_PATH`` before the user's own folders, so a ``python3`` kernel
    installed elsewhere (another Python without ibbook) cannot shadow the project's one.
    """
    ours = str(Path(sys.prefix) / "share" / "jupyter")
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if ours not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([ours, *paths])


def clean_metadata(path: Path) -> None:
    """Remove papermill's timing and path metadata from an executed notebook, in place."""
    nb = json.loads(path.read_text())
    nb["metadata"].pop("papermill", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


@contextmanager
def kernel_environment(pinned: bool) -> Iterator[None]:
    """Within the block, kernels started from this process get the numerical pins
    (:data:`ibbook.pins.PINS`) when ``pinned`` (and ``IBBOOK_PINS`` is not 0); restored after."""
    saved = dict(os.environ)
    try:
        if pinned:
            os.environ.update(pins.pinned_env())
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_chapter(notebook: str | Path, *, scale: str | None = None, device: str | None = None,
                seed: int | None = None, data_root: str | None = None, inplace: bool = False,
                output: str | Path | None = None, progress: bool = True, pinned: bool = True) -> Path:
    """Execute ``notebook`` with the given parameters (None keeps the notebook's default); return the output path.

    The kernel runs under the numerical pins unless ``pinned=False``. The executed notebook is
    written to a temporary file beside its destination and moved into place only when every cell
    ran, so a failed run (a bad parameter, an error in a cell) leaves an existing file at the
    destination (e.g. the committed notebook with ``inplace=True``) byte-identical; the failed
    copy is kept as ``_build/failed/<name>.ipynb`` for inspection.
    """
    import papermill as pm

    notebook = Path(notebook).resolve()
    if not notebook.exists():
        raise FileNotFoundError(f"no notebook at {notebook}")
    if device is not None:
        check_choice("device", device, DEVICES)
    params = {k: v for k, v in dict(scale=scale, device=device, seed=seed, data_root=data_root).items()
              if v is not None}
    if inplace:
        out = notebook
    elif output is not None:
        out = Path(output).resolve()
    else:
        out = PROJECT_ROOT / "_build" / "runs" / (scale or "default") / notebook.name
    out.parent.mkdir(parents=True, exist_ok=True)
    use_this_environments_kernel()
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".ipynb", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        with kernel_environment(pinned):
            pm.execute_notebook(str(notebook), str(tmp), parameters=params, cwd=str(notebook.parent),
                                progress_bar=progress, kernel_name="python3")
        clean_metadata(tmp)
    except BaseException:
        if tmp.exists() and tmp.stat().st_size:
            failed = PROJECT_ROOT / "_build" / "failed" / out.name
            failed.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, failed)
        tmp.unlink(missing_ok=True)
        raise
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    import signal

    # A run stopped with SIGTERM (kill, a scheduler's time limit) unwinds like Ctrl-C, so that
    # run_chapter removes its temporary file and leaves the destination untouched.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    ap = argparse.ArgumentParser(prog="python -m ibbook.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", help="chapter notebooks to run, in order")
    ap.add_argument("--scale", help="scale parameter, e.g. small or full (default: the notebook's)")
    ap.add_argument("--device", choices=DEVICES, help="device parameter (default: the notebook's)")
    ap.add_argument("--seed", type=int, help="seed parameter (default: the notebook's)")
    ap.add_argument("--data-root", help="data_root parameter (default: the notebook's)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--inplace", action="store_true", help="overwrite the notebook with the executed one")
    where.add_argument("--output", help="output path (one notebook only)")
    ap.add_argument("--no-pins", action="store_true",
                    help="run without the numerical pins (faster on many cores; other last bits)")
    args = ap.parse_args(argv)
    if args.output and len(args.notebooks) > 1:
        ap.error("--output takes one notebook; leave it out to write each to _build/runs/<scale>/")
    for nb in args.notebooks:
        out = run_chapter(nb, scale=args.scale, device=args.device, seed=args.seed, data_root=args.data_root,
                          inplace=args.inplace, output=args.output, pinned=not args.no_pins)
        print(f"{nb} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
