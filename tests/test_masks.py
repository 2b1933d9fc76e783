"""Fourier mask layer, parametrisations, objectives and the batched engine (ibbook.masks)."""
import numpy as np
import pytest
import torch
from torch import nn

from ibbook import masks, models


def tiny_net(c=3, k=3) -> nn.Module:
    torch.manual_seed(0)
    return models.Normalized(nn.Sequential(nn.Conv2d(c, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                           nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, k)),
                             [0.5] * c, [0.25] * c).eval()


def images(n=6, c=3, h=8, w=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g), torch.randint(0, 3, (n,), generator=g)


@pytest.mark.parametrize("w", [8, 7])
def test_identity_at_one_and_zero_at_zero(w):
    x, _ = images(w=w)
    for param in masks.PARAMETRISATIONS:
        shape = masks.mask_shape(x.shape, param)
        assert torch.allclose(masks.filter_images(x, torch.ones(len(x), *shape), param), x, atol=1e-6)
        assert masks.filter_images(x, torch.zeros(len(x), *shape), param).abs().max() < 1e-7


@pytest.mark.parametrize("w", [8, 7])
def test_only_the_hermitian_part_of_a_full_mask_acts(w):
    x, _ = images(w=w)
    m = torch.rand(len(x), 3, 8, w, generator=torch.Generator().manual_seed(1))
    herm = masks.hermitian_part(m)
    assert torch.allclose(masks.flip_frequencies(herm), herm)
    assert torch.allclose(masks.filter_images(x, m), masks.filter_images(x, herm), atol=1e-6)
    # the anti-Hermitian part alone does nothing
    assert masks.filter_images(x, m - herm).abs().max() < 1e-6
    # with a Hermitian mask the inverse transform is real already
    assert torch.fft.ifft2(herm * torch.fft.fft2(x)).imag.abs().max() < 1e-6


@pytest.mark.parametrize("w", [8, 7])
def test_rfft_mask_filters_like_its_hermitian_extension(w):
    x, _ = images(w=w)
    half = torch.rand(len(x), 3, 8, w // 2 + 1, generator=torch.Generator().manual_seed(2))
    full = masks.full_mask(half, w, "rfft")
    assert full.shape == (len(x), 3, 8, w)
    assert torch.allclose(masks.filter_images(x, half, "rfft"), masks.filter_images(x, full), atol=1e-6)
    # every stored entry outside the self-conjugate columns appears twice in the full mask
    l1_full = full.flatten(1).sum(1)
    assert torch.allclose(masks.mask_norm(half, w, "rfft"), l1_full, rtol=1e-5)
    assert torch.allclose(masks.mask_norm(full, w, "full"), l1_full, rtol=1e-5)


def test_bad_inputs_name_the_value():
    x, y = images()
    with pytest.raises(ValueError, match="param='half' is not accepted"):
        masks.filter_images(x, torch.ones_like(x), "half")
    with pytest.raises(ValueError, match="does not fit images"):
        masks.filter_images(x, torch.ones(6, 3, 8, 5), "full")
    with pytest.raises(ValueError, match="objective='mse' is not accepted"):
        masks.train_masks(tiny_net(), x, y, objective="mse", progress=False)
    with pytest.raises(ValueError, match="max_steps=3 is not accepted"):
        masks.train_masks(tiny_net(), x, y, min_steps=5, max_steps=3, progress=False)
    with pytest.raises(ValueError, match="reference"):
        masks.mask_objective(tiny_net(), x, y, torch.ones_like(x), objective="exp_gap")


@pytest.mark.parametrize("objective", masks.OBJECTIVES)
@pytest.mark.parametrize("param", masks.PARAMETRISATIONS)
def test_first_step_gradients_do_not_depend_on_the_batch(objective, param):
    net, (x, y) = tiny_net(), images(8)
    gb = masks.first_step_gradients(net, x, y, batched=True, objective=objective, param=param)
    gl = masks.first_step_gradients(net, x, y, batched=False, objective=objective, param=param)
    assert gb.abs().max() > 0
    assert (gb - gl).abs().max() < 1e-6


def test_engine_equals_the_one_by_one_loop_on_a_tiny_model():
    net, (x, y) = tiny_net(), images(7)
    kw = dict(min_steps=30, max_steps=60, tol=1e-3, lam=0.01)
    batched = masks.train_masks(net, x, y, batch_size=3, progress=False, **kw)  # pool refills mid-run
    loop = masks.train_masks_loop(net, x, y, **kw)
    assert torch.equal(batched.steps, loop.steps)
    assert (batched.masks - loop.masks).abs().max() < 1e-4
    assert torch.allclose(batched.loss, loop.loss, atol=1e-4)
    assert batched.masks.min() >= 0 and batched.masks.max() <= 1
    # the penalty made the masks sparser than the identity
    assert (batched.masks.flatten(1).mean(1) < 1).all()


def test_engine_stops_each_mask_by_its_own_test():
    net, (x, y) = tiny_net(), images(5)
    r = masks.train_masks(net, x, y, min_steps=20, max_steps=400, tol=1e-3, batch_size=5, progress=False)
    assert r.converged.any() and (r.steps >= 20).all() and (r.steps <= 400).all()
    assert ((r.steps < 400) == r.converged).all()
    full = masks.train_masks(net, x, y, min_steps=20, max_steps=20, tol=0.0, batch_size=5, progress=False)
    assert (full.steps == 20).all() and not full.converged.any()


def test_exp_gap_objective_keeps_the_loss_of_the_clean_image():
    net, (x, y) = tiny_net(), images(4)
    r = masks.train_masks(net, x, y, objective="exp_gap", param="rfft", min_steps=100, max_steps=100, lam=0.001,
                          batch_size=4, progress=False)
    assert r.masks.shape == (4, 3, 8, 5)
    assert (r.fit >= 1).all() and (r.fit < 1.5).all()  # exp(gap^2) with a small gap
    assert r.full().shape == (4, 3, 8, 8)


def test_statistics():
    m = torch.zeros(2, 3, 8, 8)
    m[0, :, 0, 0] = 1  # only the zero frequency
    m[1] = 1
    radius, prof = masks.radial_profile(m)
    assert radius[0] == 0 and prof[0, 0] == 1 and prof[0, 1:].max() == 0 and (prof[1] == 1).all()
    mr = masks.mean_radius(m)
    assert mr[0] == 0 and mr[1] > 2
    c = masks.centred(m)
    assert c[0, 0, 4, 4] == 1
    net, (x, y) = tiny_net(), images(2)
    ones = torch.ones(2, 3, 8, 8)
    assert torch.allclose(masks.masked_predict(net, x, ones), net(x), atol=1e-5)
    assert torch.allclose(masks.masked_predict(net, x, ones, complement=True), net(torch.zeros_like(x)), atol=1e-5)


def one_frequency(ky, kx, h=8, w=8):
    """A full mask that keeps the frequency pair (ky, kx), (-ky, -kx) only."""
    m = torch.zeros(1, 3, h, w)
    m[0, :, ky % h, kx % w] = m[0, :, -ky % h, -kx % w] = 1
    return m


@pytest.mark.parametrize("ky, kx, sector", [(0, 1, 0), (0, 3, 0), (2, 0, 4), (1, 1, 2), (1, -1, 6), (1, 3, 1)])
def test_angular_profile_puts_a_frequency_in_the_sector_of_its_direction(ky, kx, sector):
    centres, shares = masks.angular_profile(one_frequency(ky, kx), 8)
    assert centres.tolist() == [0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5]
    assert shares[0, sector] == pytest.approx(1.0) and shares.sum() == pytest.approx(1.0)
    assert masks.axis_share(one_frequency(ky, kx), 8)[0] == pytest.approx(1.0 if sector in (0, 4) else 0.0)


def test_angular_profile_leaves_out_the_zero_frequency_and_compares_with_the_ring_average():
    m = one_frequency(0, 1) + one_frequency(0, 0)  # DC counts for nothing
    assert masks.angular_profile(m, 4)[1][0].tolist() == pytest.approx([1, 0, 0, 0])
    # ring 1 of an 8x8 grid: 4 axis and 4 diagonal frequencies (|k| = 1 and sqrt 2 round to 1), so the ring
    # average of a mask on the horizontal axis spreads half of its weight onto the diagonals
    iso = masks.angular_profile(m, 4, isotropic=True)[1][0]
    assert iso.tolist() == pytest.approx([0.25, 0.25, 0.25, 0.25])
    # a mask that is already constant on rings is its own ring average
    ring = torch.round(masks._radius(8, 8))
    radial = torch.exp(-ring).expand(2, 3, 8, 8)
    assert np.allclose(masks.angular_profile(radial)[1], masks.angular_profile(radial, isotropic=True)[1])
    assert masks.axis_share(torch.zeros(1, 3, 8, 8)).tolist() == [0.0]


@pytest.mark.parametrize("bad", [3, 0, True, 2.0])
def test_angular_profile_rejects_bad_bin_counts(bad):
    with pytest.raises(ValueError, match=f"n_bins={bad!r} is not accepted; use an even integer"):
        masks.angular_profile(torch.ones(1, 3, 8, 8), bad)
    with pytest.raises(ValueError, match=r"shape \(3, 8, 8\) are not accepted"):
        masks.angular_profile(torch.ones(3, 8, 8))


def test_mask_set_settings_keep_the_committed_small_resnet20_run_and_cover_every_model():
    # the cache keys of the committed small-scale mask sets depend on exactly these values
    assert masks.mask_set_settings("small", 0) == dict(n_train=3000, epochs=4, n_test=60, min_steps=100,
                                                       max_steps=200, tol=1e-4, batch_size=64, seed=0)
    assert masks.mask_set_settings("full", 3, "cct7")["seed"] == 3
    for scale, per_model in masks.MASK_SET_SCALES.items():
        assert set(per_model) == set(masks.CLASSIFIERS), scale
        assert set(masks.MASK_SET_MODELS[scale]) <= set(per_model)
        for kw in per_model.values():
            assert set(kw) <= set(masks._PIPELINE_DEFAULTS) and kw["min_steps"] <= kw["max_steps"]
    assert set(masks.MASK_SET_MODELS) == set(masks.MASK_SET_SCALES)


def test_mask_set_settings_and_mask_set_reject_bad_values():
    with pytest.raises(ValueError, match="scale='huge' is not accepted; use one of 'small', 'medium', 'full'"):
        masks.mask_set_settings("huge", 0)
    with pytest.raises(ValueError, match="model='vgg16' is not accepted; use one of 'resnet20'"):
        masks.mask_set_settings("small", 0, "vgg16")
    with pytest.raises(ValueError, match="seed=-1 is not accepted"):
        masks.mask_set_settings("small", -1)
    with pytest.raises(ValueError, match="dataset='imagenette' is not accepted for model='resnet20'; use 'cifar10'"):
        masks.mask_set("resnet20", "linf_fmn", dataset="imagenette")
    with pytest.raises(ValueError, match="dataset='cifar10' is not accepted for model='vgg11_gray'"):
        masks.essential_masks("vgg11_gray", dataset="cifar10")
    with pytest.raises(ValueError, match=r"settings \['epoch'\] are not accepted"):
        masks.essential_masks("resnet20", epoch=3)
