"""The project's wiring: the lock pins what pyproject asks for, the chapter runner, plotting helpers."""
import json
import re
import tomllib
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from ibbook import pins, plotting, run

ROOT = Path(__file__).resolve().parent.parent


def lock():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_lock_pins_every_declared_dependency_and_the_required_torch():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = meta["dependencies"] + [d for extra in meta["optional-dependencies"].values() for d in extra]
    pins = lock()
    for requirement in declared:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.\-]+", requirement).group()).lower()
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned in requirements.lock"
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"
    assert pins["jupyter-book"].startswith("1.")


def test_run_cleans_papermill_metadata(tmp_path):
    nb = {"metadata": {"papermill": {"input_path": "/somewhere"}, "kernelspec": {"name": "python3"}},
          "cells": [{"metadata": {"papermill": {"duration": 1.0}, "execution": {"x": 1}, "tags": ["a"]}}],
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    run.clean_metadata(path)
    cleaned = json.loads(path.read_text())
    assert cleaned["metadata"] == {"kernelspec": {"name": "python3"}}
    assert cleaned["cells"][0]["metadata"] == {"tags": ["a"]}


def test_run_rejects_bad_device_and_missing_notebook(tmp_path):
    with pytest.raises(ValueError, match="device='tpu' is not accepted; use one of 'auto', 'cpu', 'cuda'"):
        run.run_chapter(ROOT / "chapters" / "data.ipynb", device="tpu")
    with pytest.raises(FileNotFoundError, match="no notebook"):
        run.run_chapter(tmp_path / "missing.ipynb")


def test_as_image_and_class_grid():
    assert plotting.as_image(torch.zeros(3, 4, 5)).shape == (4, 5, 3)
    assert plotting.as_image(np.zeros((1, 4, 5))).shape == (4, 5)
    with pytest.raises(ValueError, match=r"image of shape \(2, 4, 5\) is not accepted"):
        plotting.as_image(torch.zeros(2, 4, 5))
    matplotlib.use("Agg")
    images, labels = torch.rand(6, 3, 8, 8), torch.tensor([0, 0, 1, 1, 2, 2])
    fig = plotting.class_grid(images, labels, ["a", "b", "c"], per_class=2, title="t")
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"] and len(fig.axes) == 6
    plt.close(fig)


def _tiny_notebook(path):
    import nbformat
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('scale: str = "small"  # "small" or "full"')
    params.metadata["tags"] = ["parameters"]
    check = nbformat.v4.new_code_cell(
        'import os\nif scale not in ("small", "full"):\n'
        '    raise ValueError(f"scale={scale!r} is not accepted")\nprint(os.environ.get("ATEN_CPU_CAPABILITY"))')
    nb.cells = [params, check]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_failed_inplace_run_leaves_the_notebook_byte_identical(tmp_path):
    import papermill as pm
    path = tmp_path / "chapter.ipynb"
    _tiny_notebook(path)
    before = path.read_bytes()
    with pytest.raises(pm.PapermillExecutionError, match="scale='huge' is not accepted"):
        run.run_chapter(path, scale="huge", inplace=True, progress=False)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name != "chapter.ipynb"], "temporary files were left behind"
    out = run.run_chapter(path, inplace=True, progress=False)  # a good run still replaces it
    assert out == path and path.read_bytes() != before


def test_run_chapter_pins_the_kernel_unless_asked_not_to(tmp_path, monkeypatch):
    for name in (*pins.PINS, "IBBOOK_PINS"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "chapter.ipynb"
    _tiny_notebook(path)
    for pinned, expected in ((True, "avx2"), (False, "None")):
        out = run.run_chapter(path, output=tmp_path / f"out_{pinned}.ipynb", progress=False, pinned=pinned)
        text = "".join(json.loads(out.read_text())["cells"][1]["outputs"][0]["text"]).strip()
        assert text == expected
