import json

import pytest

from ibbook import params, records


def test_results_round_trip_with_their_record(tmp_path):
    s = params.setup("demo", scale="small", device="cpu", seed=1, data_root=None,
                     scales={"small": {"n": 1}, "full": {"n": 2}})
    with records.stopwatch() as t:
        pass
    rec = records.run_record(s, wall_time_s=t.seconds, data_variants={"CIFAR-10": "JPEG mirror"})
    for key in ("scale", "device", "seed", "data_variants", "wall_time_s", "git_commit", "torch"):
        assert key in rec
    import numpy as np
    path = records.save_results("demo", "small", {"acc": np.float32(0.5), "curve": np.arange(3)}, rec)
    assert path == tmp_path / "results" / "demo" / "small.json"
    loaded = records.load_results("demo", "small")
    assert loaded["results"] == {"acc": 0.5, "curve": [0, 1, 2]} and loaded["record"]["seed"] == 1
    assert records.load_results("demo", "full") is None
    line = records.describe_record(loaded["record"])
    assert "scale=small" in line and "CIFAR-10: JPEG mirror" in line and "commit" in line


def test_results_refuse_what_json_cannot_hold():
    with pytest.raises(TypeError, match="cannot store object"):
        records.save_results("demo", "small", {"x": object()}, {})
    assert not (records.results_dir() / "demo" / "small.json").exists()


def test_git_commit_is_a_short_hash_or_unknown():
    c = records.git_commit()
    assert c == "unknown" or len(c.split("+")[0]) == 12


def test_book_style_sets_a_book_width_figure():
    import matplotlib as mpl

    from ibbook import plotting

    with mpl.rc_context():
        plotting.book_style()
        assert tuple(mpl.rcParams["figure.figsize"])[0] == plotting.BOOK_WIDTH_IN
        assert mpl.rcParams["font.size"] == 10


def test_flatten_results_gives_one_formatted_row_per_number():
    from ibbook import records

    rows = records.flatten_results({"svm": {"angle": 0.0123456, "range": [0.5, 1.25]},
                                    "count": 3, "deep": {"a": {"b": 1e-12}}})
    assert rows == {"svm: angle": "0.0123", "svm: range": "0.5, 1.25", "count": "3",
                    "deep: a: b": "1e-12"}


def test_round_off_residuals_are_shown_as_a_bound():
    assert records.bound(3.8e-16) == "< 1e-12"
    assert records.bound(2.2e-7) == "2.2e-07"
    assert records.bound(-4e-13) == "< 1e-12"
    assert records.bound(2e-7, tol=1e-6) == "< 1e-06"
    rows = records.flatten_results({"leak": 1.06e-16, "gap": 9.38e-7, "zero": 0.0})
    assert rows == {"leak": "< 1e-12", "gap": "9.38e-07", "zero": "0"}


def test_side_by_side_gives_one_whole_table_per_section():
    t = records.side_by_side({"small": {"accuracy": {"a": 0.5, "b": 0.25}, "n": 3},
                              "medium": {"accuracy": {"a": 0.75}}})
    assert list(t) == ["accuracy", "n"]
    assert t["accuracy"].loc["b", "medium"] == "-" and t["accuracy"].loc["a", "medium"] == "0.75"
    assert list(t["n"].columns) == ["small", "medium"] and t["n"].loc["n", "small"] == "3"
