"""The chunked large mask sets (ibbook.masks.large) and the subset Id tests (issue 21)."""
import numpy as np
import pytest
import torch

from ibbook import intrinsic_dim as idm
from ibbook import weights
from ibbook.masks import large


def test_image_order_is_a_class_interleaved_permutation():
    y = torch.arange(10).repeat_interleave(30)[torch.randperm(300, generator=torch.Generator().manual_seed(1))]
    order = large.image_order(y, seed=3)
    assert sorted(order.tolist()) == list(range(300))
    for k in range(30):  # every run of ten images has each class once
        assert sorted(y[order[10 * k:10 * k + 10]].tolist()) == list(range(10))
    assert torch.equal(order, large.image_order(y, seed=3))
    assert not torch.equal(order, large.image_order(y, seed=4))


def test_bad_kind_or_attack_is_named():
    with pytest.raises(ValueError, match="kind"):
        large._check("adversary", None)
    with pytest.raises(ValueError, match="l2_pgd"):
        large._check("adversarial", "l2_pgd")
    with pytest.raises(ValueError, match="essential"):
        large._check("essential", "linf_pgd")


def test_missing_weights_name_the_training_command(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_WEIGHTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="--seed 1 --publish"):
        large.chunk_config("essential", 0, network_seed=1)


def _chunk(ids, kept, value):
    n = len(ids)
    return {"image_ids": torch.tensor(ids), "kept": torch.tensor(kept), "steps": torch.full((n,), 7),
            "masks": torch.full((n, 3, 32, 32), float(value)).half()}


def test_align_joins_on_image_id_and_drops_masks_that_lose_their_class():
    ess = [_chunk([5, 1, 9], [True, True, False], 0.25)]
    adv = [_chunk([9, 5], [True, True], 0.5), _chunk([1], [False], 0.5)]
    p = large.align(ess, adv)
    assert p.image_ids.tolist() == [5]  # 9: essential lost its class; 1: adversarial lost it
    assert p.essential.shape == (1, 3072) and float(p.essential[0, 0]) == 0.25 and float(p.adversarial[0, 0]) == 0.5
    assert len(large.align(ess, [])) == 0


def test_gate_reads_cosine_and_caps():
    g = torch.Generator().manual_seed(0)
    e = torch.rand(40, 3072, generator=g)
    p = large.Pairs(e, e.clone(), torch.arange(40), {"essential": [2000] * 10 + [600] * 30,
                                                      "adversarial": [600] * 40})
    out = large.gate(p)
    assert out["cosine_mean"] == pytest.approx(1.0) and out["capped_essential"] == pytest.approx(0.25)
    assert out["capped_adversarial"] == 0.0 and out["n_pairs"] == 40
    # the other-image baseline: identical pairs sit far above it; sparse random masks do not
    assert out["cosine_other_image_mean"] < 0.9
    sparse = (torch.rand(40, 3072, generator=g) > 0.99).float()
    q = large.gate(large.Pairs(sparse, sparse.roll(1, 0), torch.arange(40),
                               {"essential": [600] * 40, "adversarial": [600] * 40}))
    assert q["cosine_mean"] == pytest.approx(q["cosine_other_image_mean"], abs=0.02)
    assert out["share_above_half_essential"] == pytest.approx(0.5, abs=0.01)


def test_subset_tests_find_dependence_only_where_it_is():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(300, 2, generator=g)
    a = torch.cat([z, 0.01 * torch.randn(300, 6, generator=g)], 1)
    b = torch.cat([z @ torch.randn(2, 2, generator=g), 0.01 * torch.randn(300, 6, generator=g)], 1)
    dep = idm.subset_tests(a, b, [60, 300], n_subsets=3, n_shuffles=20)
    ind = idm.subset_tests(a, b[torch.randperm(300, generator=g)], [300], n_shuffles=20)
    assert len(dep[60]) == 3 and len(dep[300]) == 1
    assert dep[300][0].z < -3  # shared latent: Id far below the shuffles
    assert np.mean([t.z for t in dep[60]]) > dep[300][0].z  # fewer pairs, less evidence (Z ~ sqrt(N))
    assert abs(ind[300][0].z) < 3
    with pytest.raises(ValueError, match="301"):
        idm.subset_tests(a, b, [301])


@pytest.mark.skipif(weights.published_info("resnet20-cifar10") is None, reason="no published ResNet-20")
def test_a_chunk_is_computed_once_and_resumed_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_ARTIFACTS", str(tmp_path))
    monkeypatch.setitem(large.LARGE, "chunk", 6)
    monkeypatch.setitem(large.LARGE, "batch_size", 6)
    monkeypatch.setitem(large.LARGE, "mask", {**large.LARGE["mask"], "min_steps": 3, "max_steps": 4})
    try:
        e = large.chunk("essential", 0)
    except Exception as err:  # noqa: BLE001  no CIFAR-10 copy on this machine
        if "CIFAR" in str(err) or "not found" in str(err).lower():
            pytest.skip(str(err))
        raise
    a = large.chunk("adversarial", 0, attack="linf_pgd")
    assert e["masks"].shape[1:] == (3, 32, 32) and len(e["image_ids"]) <= 6
    assert set(a["image_ids"].tolist()) <= set(e["image_ids"].tolist())
    monkeypatch.setattr(large, "train_masks", lambda *a, **k: (_ for _ in ()).throw(AssertionError("recomputed")))
    again = large.chunk("essential", 0)
    assert torch.equal(again["masks"], e["masks"])
    assert large.chunk("essential", 1, compute=False) is None
    p = large.pairs("linf_pgd", n_chunks=1)
    assert len(p) <= len(a["image_ids"]) and np.all(np.diff(p.image_ids.numpy()) > 0)


def test_z_power_curve_draws_the_median_per_size_and_refuses_nothing():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbook import plotting

    fig, ax = plt.subplots()
    line = plotting.z_power_curve(ax, {"250": [{"z": -1.0}, {"z": -3.0}], 1000: [{"z": -4.0}]}, paper_z=-4.56)
    assert list(line.get_xdata()) == [250, 1000] and list(line.get_ydata()) == [-2.0, -4.0]
    assert ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="empty"):
        plotting.z_power_curve(ax, {})
    plt.close(fig)


def test_table2_puts_the_paper_row_under_ours():
    row = {"n": 2000, "id": 30.1, "shuffled_mean": 31.0, "shuffled_std": 0.3, "z": -3.0, "p": 1.3e-3,
           "gate": {"cosine_mean": 0.3, "cosine_std": 0.1}}
    t = large.table2({"FMN": row})
    assert list(t.index[:2]) == [("FMN", "ours"), ("FMN", "paper")]
    assert t.loc[("FMN", "ours"), "Z"] == "-3.00" and t.loc[("FMN", "paper"), "Z"] == "-4.56"
    assert t.loc[("PGD", "ours"), "N"] == "not run" and len(t) == 6


def test_mask_examples_draw_one_row_per_image_and_check_shapes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbook import plotting

    r = np.random.default_rng(0)
    fig = plotting.mask_examples(r.random((2, 3, 8, 8)), r.random((2, 3, 8, 8)), r.random((2, 3, 8, 8)))
    assert len(fig.axes) == 2 * 3 + 1  # six panels and the colour bar
    plt.close(fig)
    with pytest.raises(ValueError, match="same N"):
        plotting.mask_examples(r.random((2, 3, 8, 8)), r.random((3, 3, 8, 8)), r.random((2, 3, 8, 8)))


def _latent_pairs(n, seed, ids, shared=True):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 2, generator=g)
    e = torch.cat([z, 0.01 * torch.randn(n, 6, generator=g)], 1)
    other = z if shared else torch.randn(n, 2, generator=g)
    a = torch.cat([other @ torch.randn(2, 2, generator=g), 0.01 * torch.randn(n, 6, generator=g)], 1)
    steps = {"essential": [600] * n, "adversarial": [600] * n}
    return large.Pairs(e, a, torch.as_tensor(ids), steps)


def test_control_tells_a_network_specific_correlation_from_a_shared_one():
    same = _latent_pairs(200, 0, list(range(200)))
    # the twin's adversarial masks: independent of the essential masks (network-specific case)
    twin = large.Pairs(same.essential.clone(), _latent_pairs(200, 1, list(range(200)), shared=False).adversarial,
                       same.image_ids.clone(), same.steps)
    c = large.control_comparison(same, twin, n_shuffles=50, n_swaps=40)
    assert c["n"] == 200 and c["same"]["z"] < -3 and abs(c["twin"]["z"]) < 3 and c["swap"]["p_permutation"] < 0.05
    assert large.control_reading(c)[0] == "specific to the network"
    # a twin as tied as the network itself (the images alone would do it): the caveat
    g = torch.Generator().manual_seed(5)
    alike = large.Pairs(same.essential, same.adversarial + 1e-3 * torch.randn(200, 8, generator=g),
                        same.image_ids, same.steps)
    verdict, text = large.control_reading(large.control_comparison(same, alike, n_shuffles=50, n_swaps=40))
    assert verdict == "shared with the twin" and "caveat" in text
    # only images both sets have are compared
    part = large.restrict(twin, list(range(50, 200)))
    assert large.control_comparison(same, part, n_shuffles=20, n_swaps=10)["n"] == 150
    with pytest.raises(ValueError, match="5 shared images"):
        large.control_comparison(same, large.restrict(twin, [1, 2, 3, 4, 5]), n_shuffles=20)
