"""The tolerant notebook check compares numbers within a tolerance and everything else exactly."""
import pytest

from ibbook import nbcheck


def test_numbers_within_tolerance_pass_and_others_fail():
    ok = nbcheck.close_enough
    assert ok("angle 0.006957188450455083", "angle 0.006957188450471041", 1e-6, 0)
    assert ok("residuals 1.2e-16 3.8e-16", "residuals 1.3e-16 4.6e-16", 0.1, 1e-12)
    assert not ok("residuals 1.2e-16", "residuals 1.3e-16", 0.01, 0)
    assert ok("accuracy 0.955 (30 of 32)", "accuracy 0.950 (31 of 32)", 0.05, 0)
    assert not ok("accuracy 0.955", "accuracy 0.700", 0.05, 0)
    assert not ok("holds (0.9)", "does not hold (0.9)", 0.5, 1)  # words must match
    assert not ok("1 2 3", "1 2", 0.5, 1)  # as many numbers


def test_table_spacing_and_rules_follow_the_numbers():
    ref = "  a     b\n0  1.0  2.00\n---  ----"
    new = "  a      b\n0  1.01  2.001\n----  -----"
    assert nbcheck.close_enough(ref, new, 0.05, 0)
    assert nbcheck.split_numbers("x = -1.5e-3, y=2")[1] == [-1.5e-3, 2.0]


def test_tolerance_from_env_reads_and_rejects():
    assert nbcheck.tolerance_from_env({}) is None
    assert nbcheck.tolerance_from_env({"IBBOOK_NBVAL_RTOL": "0.1"}) == (0.1, 1e-6)
    with pytest.raises(ValueError, match="IBBOOK_NBVAL_RTOL='lots'"):
        nbcheck.tolerance_from_env({"IBBOOK_NBVAL_RTOL": "lots"})
    with pytest.raises(ValueError, match="IBBOOK_NBVAL_RTOL=2.0"):
        nbcheck.tolerance_from_env({"IBBOOK_NBVAL_RTOL": "2"})


def test_install_acts_only_when_asked(monkeypatch):
    monkeypatch.delenv("IBBOOK_NBVAL_RTOL", raising=False)
    assert nbcheck.install_tolerant_compare() is False


def test_full_float_reprs_are_compared_at_nine_digits():
    r = nbcheck.round_long_floats
    assert r("0.006957188450455083") == r("0.006957188450471041") == "0.00695718845"
    assert r("angle 0.1234567891234 and 12.5") == "angle 0.123456789 and 12.5"
    assert r("3.141592653589793e-05") == "3.14159265e-05"
    assert r("0.0069571884") == "0.0069571884"  # short numbers are left alone
    assert r("0.006957188450455083") != r("0.006957198450455083")  # a change at the 7th digit shows
    assert r("id 123456789012345") == "id 123456789012345"  # integers are not floats
