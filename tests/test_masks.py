"""Fourier mask layer, parametrisations, objectives and the batched engine (ibbook.masks)."""
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
