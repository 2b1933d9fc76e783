"""Minibatch training (cache, resume, snapshots) and batched image attacks on a tiny CNN."""
import pytest
import torch
from torch import nn

from ibbook import attacks, models, train


def tiny_cnn() -> nn.Module:
    return models.Normalized(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                                           nn.Flatten(), nn.Linear(16, 3)), [0.5] * 3, [0.25] * 3)


def toy_images(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = (0.5 + 0.1 * torch.randn(n, 3, 8, 8, generator=g) + 0.15 * (y.view(-1, 1, 1, 1) - 1)
         * torch.arange(3).view(1, 3, 1, 1)).clamp(0, 1)
    return x, y


KW = dict(key={"model": "tiny"}, batch_size=32, lr=0.2, progress=False)


def test_training_learns_and_is_cached():
    x, y = toy_images()
    first = train.train_classifier(tiny_cnn, x, y, epochs=12, augment="flip_crop", snapshot_epochs=(0, 12), **KW)
    assert not first.from_cache and len(first.history) == 12
    assert first.history[-1]["loss"] < 0.6 * first.history[0]["loss"]
    assert train.accuracy(first.model, x, y) > 0.6  # chance: 1/3
    again = train.train_classifier(tiny_cnn, x, y, epochs=12, augment="flip_crop", snapshot_epochs=(0, 12), **KW)
    assert again.from_cache
    for a, b in zip(first.model.parameters(), again.model.parameters()):
        assert torch.equal(a, b)
    init = first.snapshot(0)
    assert train.accuracy(init, x, y) < train.accuracy(first.model, x, y)
    with pytest.raises(ValueError, match="snapshots exist for epochs"):
        first.snapshot(3)


def test_interrupted_run_resumes_to_the_same_weights(monkeypatch):
    x, y = toy_images()
    whole = train.train_classifier(tiny_cnn, x, y, epochs=4, **{**KW, "key": {"model": "whole"}})
    # Stop the second run after two epochs by making the third epoch's first step fail.
    calls = {"n": 0}
    real_step = torch.optim.SGD.step

    def failing_step(self, *a, **k):
        calls["n"] += 1
        if calls["n"] > 2 * 3:  # 96 images / 32 per batch = 3 steps per epoch
            raise KeyboardInterrupt
        return real_step(self, *a, **k)

    monkeypatch.setattr(torch.optim.SGD, "step", failing_step)
    key = {**KW, "key": {"model": "whole"}}
    with pytest.raises(KeyboardInterrupt):
        train.train_classifier(tiny_cnn, x, y, epochs=4, recompute=True, **key)
    monkeypatch.setattr(torch.optim.SGD, "step", real_step)
    resumed = train.train_classifier(tiny_cnn, x, y, epochs=4, **key)
    assert resumed.resumed_at == 2 and [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    for a, b in zip(whole.model.parameters(), resumed.model.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_fused_adam_takes_the_same_steps_as_adam():
    x, y = toy_images()
    kw = {**KW, "lr": 1e-2}
    runs = [train.train_classifier(tiny_cnn, x, y, epochs=3, optimizer=o, **kw).model
            for o in ("adam", "adam_fused")]
    for a, b in zip(*(m.parameters() for m in runs)):
        assert torch.allclose(a, b, atol=1e-5)


def test_training_rejects_bad_settings():
    x, y = toy_images()
    with pytest.raises(ValueError, match="optimizer='lbfgs'"):
        train.train_classifier(tiny_cnn, x, y, epochs=1, optimizer="lbfgs", **KW)
    with pytest.raises(ValueError, match="snapshot_epochs"):
        train.train_classifier(tiny_cnn, x, y, epochs=1, snapshot_epochs=(2,), **KW)


def test_flip_crop_keeps_shape_and_pixels():
    x, _ = toy_images(8)
    out = train.flip_crop(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    assert set(out.unique().tolist()) <= set(x.unique().tolist()) | {0.0}


def test_attack_images_pgd_and_min_norm():
    x, y = toy_images()
    net = train.train_classifier(tiny_cnn, x, y, epochs=6, **KW).model
    eps = 0.05
    pgd = attacks.attack_images(net, x, y, "linf_pgd", eps=eps, batch_size=40, progress=False)
    assert pgd.delta.shape == x.shape
    assert pgd.norms(float("inf")).max() <= eps + 1e-6
    assert (pgd.success <= pgd.clean_correct).all()
    assert torch.equal(pgd.success, pgd.clean_correct & (pgd.adv_label != y))
    assert ((x + pgd.delta) >= -1e-6).all() and ((x + pgd.delta) <= 1 + 1e-6).all()
    fmn = attacks.attack_images(net, x, y, "l2_fmn", eps=None, batch_size=40, progress=False)
    assert fmn.success_rate > 0.9
    # A larger budget never helps less: PGD at 4x the budget succeeds at least as often.
    big = attacks.attack_images(net, x, y, "linf_pgd", eps=4 * eps, batch_size=40, progress=False)
    assert big.success.sum() >= pgd.success.sum()
    with pytest.raises(ValueError, match="eps=None is not accepted for attack 'linf_pgd'"):
        attacks.attack_images(net, x, y, "linf_pgd", eps=None)


@pytest.mark.parametrize("kind", ["scale", "translate", "rotate"])
def test_random_affine_changes_images_but_keeps_shape(kind):
    x, _ = toy_images(8)
    out = train.augment_batch(x, kind, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and not torch.allclose(out, x)
    assert out.min() >= 0 and out.max() <= 1 + 1e-6
    # A zero-size change is the identity: rotation by 0 degrees reproduces the image.
    theta = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(8, 2, 3)
    grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    assert torch.allclose(torch.nn.functional.grid_sample(x, grid, align_corners=False), x, atol=1e-6)


def test_adversarial_training_is_more_robust():
    x, y = toy_images(192, seed=1)
    eps = 0.2
    clean = train.train_classifier(tiny_cnn, x, y, epochs=12, **KW).model
    robust = train.train_classifier(tiny_cnn, x, y, epochs=12, adversarial={"eps": eps, "steps": 5}, **KW).model
    results = [attacks.attack_images(m, x, y, "linf_pgd", eps=eps, progress=False) for m in (clean, robust)]
    rob = [r.robust_accuracy for r in results]
    assert rob[1] > rob[0] + 0.3
    with pytest.raises(ValueError, match="adversarial="):
        train.train_classifier(tiny_cnn, x, y, epochs=1, adversarial={"epsilon": 0.1}, **KW)
