"""Shared set-up: the numerical pins for everything this pytest session starts (notebook kernels
included), the tolerant notebook check when asked for, and per-test cache, artefact and result
folders."""
from ibbook import pins

pins.apply()  # before anything imports torch: the pins act when torch starts

import pytest  # noqa: E402

from ibbook import nbcheck  # noqa: E402

nbcheck.install_repr_rounding()  # full float reprs compared at 9 significant digits
nbcheck.install_tolerant_compare()  # only acts when IBBOOK_NBVAL_RTOL is set


@pytest.fixture(autouse=True)
def isolated_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("IBBOOK_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("IBBOOK_ARTIFACTS", raising=False)
    monkeypatch.delenv("IBBOOK_DATA", raising=False)
    monkeypatch.delenv("IBBOOK_DOWNLOAD", raising=False)
    return tmp_path
