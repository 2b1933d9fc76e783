"""One command to reproduce the book: dependency order, bad input, resume rule, log format, and
a real run of two tiny chapters through dask.distributed with a local cluster of 2 workers."""
import json
import os
from pathlib import Path

import pytest

from ibbook import reproduce

ROOT = Path(__file__).resolve().parent.parent
LOG_KEYS = {"chapter", "scale", "device", "start", "seconds", "status", "host"}


def fake_notebook(path: Path, chapter: str, reads: str | None = None) -> None:
    """A chapter with a parameters cell and SCALES that records one result; with ``reads`` it
    first requires another chapter's result (so it fails if run before it)."""
    check = (f"got = records.load_results({reads!r}, scale)\n"
             f"assert got is not None, 'ran before {reads}'\n") if reads else ""
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
         "execution_count": None,
         "source": 'scale = "small"  # scale\ndevice = "auto"  # device\nseed = 0  # seed\n'
                   'data_root = None  # data'},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "import time\nfrom ibbook import records\n"
                   'SCALES = {"small": {"n": 1}, "full": {"n": 2}}\n'
                   "assert scale in SCALES, f'scale={scale!r} is not accepted'\n" + check
                   + "t0 = time.time()\n"
                   f"records.save_results({chapter!r}, scale, {{'t0': t0}}, {{'scale': scale}})"},
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "P",
                                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 4}
    path.write_text(json.dumps(nb))


@pytest.fixture
def fake_root(tmp_path):
    """A project with two chapters: intrinsic_dim (listed first) depends on fourier_masks."""
    root = tmp_path / "root"
    (root / "chapters").mkdir(parents=True)
    (root / "_toc.yml").write_text("parts:\n  - chapters:\n      - file: chapters/intrinsic_dim\n"
                                   "      - file: chapters/fourier_masks\n")
    fake_notebook(root / "chapters" / "intrinsic_dim.ipynb", "intrinsic_dim", reads="fourier_masks")
    fake_notebook(root / "chapters" / "fourier_masks.ipynb", "fourier_masks")
    return root


def test_plan_follows_the_toc_and_the_dependencies():
    order = reproduce.plan(None, "small")
    assert order.index("fourier_masks") < order.index("intrinsic_dim")
    assert order[-1] == "scorecard" and set(order) == set(reproduce.toc_chapters())
    assert reproduce.plan(["intrinsic_dim", "data", "fourier_masks"], "small") == [
        "fourier_masks", "intrinsic_dim", "data"]
    assert reproduce.plan(["scorecard", "data"], "full") == ["data", "scorecard"]


def test_every_chapter_defines_small_and_full():
    for ch in reproduce.toc_chapters():
        scales = reproduce.notebook_scales(ROOT / "chapters" / f"{ch}.ipynb")
        assert {"small", "full"} <= set(scales), ch


@pytest.mark.parametrize("kwargs, pattern", [
    ({"chapters": ["nope"]}, r"chapter 'nope' is not accepted; use one of .*'attacks'"),
    ({"scale": "huge"}, r"scale='huge' is not accepted for chapter '\w+'; use one of .*'full'"),
    ({"scale": "medium", "chapters": ["data"]}, r"scale='medium' is not accepted for chapter 'data'"),
    ({"engine": "spark"}, r"engine='spark' is not accepted; use one of 'local', 'dask'"),
    ({"device": "tpu"}, r"device='tpu' is not accepted"),
    ({"workers": 0}, r"workers=0 is not accepted"),
])
def test_bad_input_is_a_value_error_naming_it(kwargs, pattern, tmp_path):
    with pytest.raises(ValueError, match=pattern):
        reproduce.reproduce(out=tmp_path, **{"scale": "small", **kwargs})
    assert not (tmp_path / "log.jsonl").exists()


def test_resume_rule(fake_root, tmp_path):
    job = reproduce.Job("fourier_masks", "small", "cpu", None, None, str(tmp_path), str(fake_root))
    assert not reproduce.is_done(job)
    nb = json.loads(job.notebook.read_text())
    job.executed.write_text(json.dumps(nb))
    assert not reproduce.is_done(job)  # no marker: interrupted or never finished
    job.marker.parent.mkdir()
    job.marker.write_text(json.dumps({"params": job.params()}))
    assert reproduce.is_done(job)
    other = reproduce.Job("fourier_masks", "small", "cuda", None, None, str(tmp_path), str(fake_root))
    assert not reproduce.is_done(other)  # other parameters
    nb["cells"][1]["outputs"] = [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}]
    job.executed.write_text(json.dumps(nb))
    assert not reproduce.is_done(job)  # an error output
    job.executed.write_text(json.dumps(json.loads(job.notebook.read_text())))
    nb["cells"][1]["source"] += "\n# edited"
    job.notebook.write_text(json.dumps(nb))
    assert not reproduce.is_done(job)  # the chapter's code changed


def test_failed_dependency_blocks_without_running(fake_root, tmp_path):
    job = reproduce.Job("intrinsic_dim", "small", "cpu", None, None, str(tmp_path), str(fake_root))
    entry = reproduce.run_job(job, {"chapter": "fourier_masks", "status": "failed"})
    assert entry["status"] == "blocked" and "fourier_masks" in entry["error"]
    assert set(entry) == LOG_KEYS | {"error"} and not job.executed.exists()


def read_log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def check_ran_in_order(out: Path, entries: list[dict]) -> None:
    assert {e["status"] for e in entries} == {"ok"}, entries
    log = read_log(out)
    assert {e["chapter"] for e in log} == {"fourier_masks", "intrinsic_dim"}
    for e in log:
        assert set(e) == LOG_KEYS and e["scale"] == "small" and e["device"] == "cpu"
        assert isinstance(e["seconds"], float) and e["seconds"] > 0
    t0 = {ch: json.loads((out / "results" / ch / "small.json").read_text())["results"]["t0"]
          for ch in ("fourier_masks", "intrinsic_dim")}
    assert t0["fourier_masks"] < t0["intrinsic_dim"]
    assert (out / "intrinsic_dim.ipynb").exists() and (out / "done" / "intrinsic_dim.json").exists()


def test_local_engine_runs_in_order_logs_and_resumes(fake_root, tmp_path):
    out = tmp_path / "out"
    entries = reproduce.reproduce(scale="small", device="cpu", out=out, root=fake_root)
    check_ran_in_order(out, entries)
    again = reproduce.reproduce(scale="small", device="cpu", out=out, root=fake_root)
    assert [e["status"] for e in again] == ["resumed", "resumed"]
    assert [e["status"] for e in read_log(out)][-2:] == ["resumed", "resumed"]


def test_dask_engine_with_a_local_cluster_of_two_workers(fake_root, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ)
    entries = reproduce.reproduce(scale="small", device="cpu", out=out, root=fake_root,
                                  engine="dask", workers=2)
    check_ran_in_order(out, entries)
    # the cluster's OMP_NUM_THREADS=1 must not leak into what this process starts later
    assert dict(os.environ) == env


def test_book_sources_use_the_executed_notebooks(tmp_path):
    executed = json.loads((ROOT / "chapters" / "data.ipynb").read_text())
    executed["metadata"]["marker"] = "executed copy"
    (tmp_path / "data.ipynb").write_text(json.dumps(executed))
    src = reproduce.prepare_book_sources(tmp_path)
    for name in reproduce.BOOK_FILES:
        assert (src / name).exists()
    assert json.loads((src / "chapters" / "data.ipynb").read_text())["metadata"]["marker"] == "executed copy"
    assert (src / "chapters" / "reproducing.md").exists()
    assert (src / "chapters" / "attacks.ipynb").read_text() == (ROOT / "chapters" / "attacks.ipynb").read_text()


def test_estimate_table_lists_every_chapter():
    text = reproduce.estimate_table(gpu_speedup=50)
    for ch in reproduce.WORK:
        assert f"| {ch} |" in text
    assert "50x" in text and "Assumption" in text


def test_mask_chapter_flops_count_every_classifier():
    # ResNet-20's mask step (input gradient only) is cheaper than its training pass, CCT-7's
    # mask step costs over ten times ResNet-20's, and the full scale is far more work than small
    r20 = reproduce._pass_flops("resnet20", None, False)
    assert r20 < reproduce._pass_flops("resnet20", None, True)
    assert reproduce._pass_flops("cct7", None, False) > 10 * r20
    small = dict(_scale="small", adv_steps=2, ft_epochs=1, n_robust=16)
    full = dict(_scale="full", adv_steps=7, ft_epochs=20, n_robust=1000)
    assert reproduce._masks_flops(full) > 1e3 * reproduce._masks_flops(small) > 1e3 * 1e12


def test_scales_live_in_one_module_that_every_chapter_reads():
    from ibbook import scales

    for ch in reproduce.toc_chapters():
        src = (ROOT / "chapters" / f"{ch}.ipynb").read_text()
        assert f'SCALES = scales.SCALES[\\"{ch}\\"]' in src, ch  # JSON-escaped quotes
        assert "small" in scales.of(ch)
    with pytest.raises(ValueError, match="chapter='nope' is not accepted"):
        scales.of("nope")


def test_table2_cost_scales_the_measured_resnet20_seconds(tmp_path):
    # without a large run no CPU time is claimed; with one, ResNet-20's masks cost exactly the
    # measured seconds per mask x 4 masks x images, and the other models more (bigger passes)
    assert all(r["cpu_mask_s"] is None for r in reproduce.table2_cost_rows(root=tmp_path))
    rec = tmp_path / "data" / "results" / "fourier_masks"
    rec.mkdir(parents=True)
    (rec / "large.json").write_text(json.dumps({"record": {"mask_seconds_per_image": 1.5}}))
    rows = {r["model"]: r for r in reproduce.table2_cost_rows(100, root=tmp_path)}
    assert rows["ResNet-20"]["cpu_mask_s"] == pytest.approx(4 * 100 * 1.5)
    assert rows["CCT-7"]["cpu_mask_s"] > 10 * rows["ResNet-20"]["cpu_mask_s"]
    assert rows["CCT-7"]["gpu_s"] > rows["ResNet-20"]["gpu_s"] > 0


def test_papermill_reads_every_chapter_parameter():
    # a comment papermill cannot parse (e.g. one holding " = ") silently drops the parameter from
    # `papermill --help-notebook` and makes every run warn "Passed unknown parameter"
    import papermill

    for ch in reproduce.toc_chapters():
        found = papermill.inspect_notebook(str(ROOT / "chapters" / f"{ch}.ipynb"))
        assert {"scale", "device", "seed", "data_root"} <= set(found), (ch, sorted(found))


def test_readme_estimate_table_is_what_estimate_prints():
    """The README's GPU estimate is `reproduce --estimate` on the committed result files (issue
    24: a fresh clone must print the same table)."""
    from pathlib import Path

    from ibbook import reproduce
    readme = (Path(reproduce.PROJECT_ROOT) / "README.md").read_text()
    for line in reproduce.estimate_table().splitlines():
        if line.startswith("|"):
            assert line in readme, line
