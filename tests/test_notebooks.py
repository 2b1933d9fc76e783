"""Every chapter: listed in the table of contents, a valid papermill `parameters` cell, clear errors
for bad parameter values, committed with outputs from a real execution."""
import json
import re
from pathlib import Path

import papermill as pm
import pytest
import yaml

from ibbook import run

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
REQUIRED = {"scale": "str", "device": "str", "seed": "int", "data_root": "Optional[str]"}


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found in chapters/"


def test_every_chapter_is_in_the_toc_and_every_toc_entry_exists():
    listed = toc_files()
    for nb in CHAPTERS:
        assert f"chapters/{nb.stem}" in listed, f"{nb.name} is not listed in _toc.yml"
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").exists() for ext in ("", ".md", ".ipynb")), f"{entry} in _toc.yml is missing"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_parameters_cell_declares_the_common_parameters_with_types_and_help(nb):
    cells = json.loads(nb.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{nb.name}: {len(tagged)} cells tagged 'parameters', expected 1"
    declared = pm.inspect_notebook(str(nb))
    for name, type_name in REQUIRED.items():
        assert name in declared, f"{nb.name}: parameter {name!r} missing"
        assert declared[name]["inferred_type_name"] == type_name, (nb.name, name, declared[name])
        assert declared[name]["help"].strip(), f"{nb.name}: parameter {name!r} has no comment explaining it"
    for name, p in declared.items():
        assert p["help"].strip(), f"{nb.name}: parameter {name!r} has no comment explaining it"
    assert declared["scale"]["default"] == '"small"' and declared["device"]["default"] == '"auto"'
    assert declared["data_root"]["default"] == "None"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_committed_notebook_was_executed_without_errors(nb):
    cells = json.loads(nb.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert all(counts) and counts == sorted(counts), f"{nb.name}: not executed top to bottom in one run"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{nb.name}: committed outputs hold errors"
    streams = "".join("".join(o.get("text", "")) for c in code for o in c["outputs"] if o.get("name") == "stderr")
    assert "Warning" not in streams, f"{nb.name}: committed outputs hold warnings: {streams[:300]}"
    assert not any("injected-parameters" in c["metadata"].get("tags", []) for c in cells), \
        f"{nb.name}: committed with papermill's injected parameters; commit the default-parameter run"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_bad_scale_stops_the_chapter_with_an_error_naming_it(nb, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run.run_chapter(nb, scale="bogus", output=tmp_path / nb.name, progress=False)
    assert err.value.ename == "ValueError"
    assert re.search(r"scale='bogus' is not accepted; use one of ", err.value.evalue)
    assert "'small'" in err.value.evalue and "'full'" in err.value.evalue
