import numpy as np
import pytest
import torch

from ibbook import params

SCALES = {"small": {"epochs": 1, "n": 10}, "full": {"epochs": 40, "n": 50000}}


def setup(**kw):
    args = dict(scale="small", device="cpu", seed=0, data_root=None, scales=SCALES)
    args.update(kw)
    return params.setup("demo", **args)


def test_setup_returns_scale_values_and_seeds_everything():
    s = setup(scale="full", seed=3)
    assert (s.scale, s.epochs, s["n"], s.device, s.seed) == ("full", 40, 50000, torch.device("cpu"), 3)
    a = torch.rand(3), np.random.rand()
    setup(seed=3)
    assert torch.equal(a[0], torch.rand(3)) and a[1] == np.random.rand()


def test_bad_scale_names_the_value_and_the_accepted_ones():
    with pytest.raises(ValueError, match=r"scale='huge' is not accepted; use one of 'small', 'full'"):
        setup(scale="huge")


@pytest.mark.parametrize("device", ["gpu", "CUDA", "", None])
def test_bad_device(device):
    with pytest.raises(ValueError, match=r"device=.* is not accepted; use one of 'auto', 'cpu', 'cuda'"):
        setup(device=device)


def test_cuda_without_gpu_is_an_error_not_a_silent_fallback(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        setup(device="cuda")
    assert setup(device="auto").device == torch.device("cpu")


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed=.* is not accepted"):
        setup(seed=seed)


def test_every_chapter_defines_small_and_full_with_the_same_keys():
    with pytest.raises(ValueError, match="defines no scale 'full'"):
        setup(scales={"small": {"n": 1}})
    with pytest.raises(ValueError, match="has keys"):
        setup(scales={"small": {"n": 1}, "full": {"n": 2, "epochs": 3}})


def test_unknown_setting_names_the_known_ones():
    with pytest.raises(AttributeError, match="defines no 'lr'; it defines epochs, n"):
        setup().lr


def test_data_root_and_tables(tmp_path):
    s = setup(data_root=str(tmp_path))
    assert s.data_root == tmp_path and s.as_dict()["data_root"] == str(tmp_path)
    assert setup(data_root="").data_root is None
    table = params.scales_table(SCALES).splitlines()
    assert table[0].split() == ["setting", "small", "full"] and table[1].split() == ["epochs", "1", "40"]
    assert "epochs  1" in s.table()


def test_compact_scales_table_joins_sequences():
    sc = {"small": {"ks": (4, 8), "alphas": (0.05, 0.3), "dim": 100},
          "large": {"ks": (4, 8, 16), "alphas": (0.05,), "dim": 1000}}
    rows = params.scales_table(sc, compact=True).splitlines()
    assert rows[1].split() == ["ks", "4,8", "4,8,16"]
    assert rows[2].split() == ["alphas", "0.05,0.3", "0.05"]
    assert "(4, 8)" in params.scales_table(sc)
