import json

import pytest
import torch

from ibbook import cache


def test_config_hash_ignores_key_order_and_sees_values():
    assert cache.config_hash({"a": 1, "b": [1, 2]}) == cache.config_hash({"b": [1, 2], "a": 1})
    assert cache.config_hash({"a": 1}) != cache.config_hash({"a": 2})
    with pytest.raises(TypeError, match="JSON-serialisable"):
        cache.config_hash({"a": object()})


def test_cached_computes_once_then_reuses_and_recomputes_on_request(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_ARTIFACTS", str(tmp_path / "art"))
    calls = []

    def compute():
        calls.append(1)
        return {"w": torch.full((2,), float(len(calls)))}

    cfg = {"model": "fc", "epochs": 2}
    first = cache.cached("model", cfg, compute, record={"scale": "small"})
    again = cache.cached("model", cfg, compute)
    assert len(calls) == 1 and torch.equal(first["w"], again["w"])
    meta = json.loads(cache.artifact_path("model", cfg).with_suffix(".json").read_text())
    assert meta["config"] == cfg and meta["record"] == {"scale": "small"}
    fresh = cache.cached("model", cfg, compute, recompute=True)
    assert len(calls) == 2 and fresh["w"][0] == 2
    cache.cached("model", {**cfg, "epochs": 3}, compute)
    assert len(calls) == 3


def test_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "a" / "x.pt"
    cache.atomic_save({"v": 1}, path)

    def broken_save(obj, f):
        with open(f, "wb") as fh:
            fh.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        cache.atomic_save({"v": 2}, path)
    assert torch.load(path)["v"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.pt"]


def test_artifacts_live_under_the_cache_root_unless_moved(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_CACHE", str(tmp_path / "c"))
    assert cache.artifacts_dir() == tmp_path / "c" / "artifacts"
    monkeypatch.setenv("IBBOOK_ARTIFACTS", str(tmp_path / "elsewhere"))
    assert cache.artifact_path("masks", {"n": 1}).parent == tmp_path / "elsewhere" / "masks"


@pytest.mark.parametrize("kind", ["", "../up", ".hidden"])
def test_bad_kind(kind):
    with pytest.raises(ValueError, match="artefact kind"):
        cache.artifact_path(kind, {})


def test_atomic_writes_get_the_usual_file_mode(tmp_path):
    import os
    import stat

    from ibbook import cache

    path = cache.atomic_write_text("x", tmp_path / "a.txt")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
