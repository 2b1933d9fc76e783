"""Shared fixtures: every test gets its own cache, artefact and result folders."""
import pytest


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IBBOOK_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("IBBOOK_ARTIFACTS", raising=False)
    monkeypatch.delenv("IBBOOK_DATA", raising=False)
    monkeypatch.delenv("IBBOOK_DOWNLOAD", raising=False)
    return tmp_path
