"""Compressed schedules (resume, scheduler choice) and the published classifiers of ibbook.weights."""
import json
import shutil

import pytest
import torch

from ibbook import train, weights
from ibbook.data import load_images
from test_minibatch import KW, tiny_cnn, toy_images

COMPRESSED = dict(schedule="onecycle", warmup=0.3, nesterov=True, channels_last=True, weight_decay=1e-4)


def test_interrupted_compressed_schedule_resumes_to_the_same_weights(monkeypatch):
    x, y = toy_images()
    key = {**KW, "key": {"model": "onecycle"}, **COMPRESSED, "eval_data": (x[:32], y[:32])}
    whole = train.train_classifier(tiny_cnn, x, y, epochs=4, **key)
    lrs = [h["lr"] for h in whole.history]
    assert lrs[-1] < lrs[1] < 0.2  # warm-up to at most lr, then decay
    assert all("test_acc" in h for h in whole.history)
    calls = {"n": 0}
    real_step = torch.optim.SGD.step

    def failing_step(self, *a, **k):
        calls["n"] += 1
        if calls["n"] > 2 * 3:  # 3 steps per epoch: stop in the third epoch
            raise KeyboardInterrupt
        return real_step(self, *a, **k)

    monkeypatch.setattr(torch.optim.SGD, "step", failing_step)
    with pytest.raises(KeyboardInterrupt):
        train.train_classifier(tiny_cnn, x, y, epochs=4, recompute=True, **key)
    monkeypatch.setattr(torch.optim.SGD, "step", real_step)
    resumed = train.train_classifier(tiny_cnn, x, y, epochs=4, **key)
    assert resumed.resumed_at == 2
    assert [h["lr"] for h in resumed.history] == [h["lr"] for h in whole.history]
    for a, b in zip(whole.model.parameters(), resumed.model.parameters()):
        assert torch.equal(a, b)


def test_schedules_follow_their_definition():
    p = torch.nn.Parameter(torch.zeros(1))
    for name, first in (("onecycle", 0.01), ("cosine", 0.01)):
        opt = torch.optim.SGD([p], lr=0.1)
        sched = train.make_scheduler(opt, name, lr=0.1, epochs=10, steps_per_epoch=10, warmup=0.2)
        lrs = [opt.param_groups[0]["lr"]]
        for _ in range(100):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        assert lrs[0] == pytest.approx(first) and max(lrs) == pytest.approx(0.1, rel=1e-3)
        assert lrs[99] < 1e-4 and lrs.index(max(lrs)) in range(18, 23)  # lrs[99]: the last step's
    with pytest.raises(ValueError, match="schedule='linear' is not accepted"):
        train.make_scheduler(opt, "linear", lr=0.1, epochs=1, steps_per_epoch=1)
    x, y = toy_images(8)
    with pytest.raises(ValueError, match="nesterov=True is not accepted with optimizer='adam'"):
        train.train_classifier(tiny_cnn, x, y, epochs=1, optimizer="adam", nesterov=True, **KW)


def _published():
    info = weights.published_info("resnet20-cifar10")
    if info is None:
        pytest.fail("data/weights/resnet20-cifar10.json is missing: the published ResNet-20 must be committed")
    return info


def test_published_resnet20_matches_its_hash_and_recorded_accuracy():
    info = _published()
    assert (weights.weights_dir() / "resnet20-cifar10.pt").stat().st_size < 2 * 2**20
    model = weights.load_published("resnet20-cifar10")
    test = load_images("cifar10", "test", n=500, seed=0)
    acc = train.accuracy(model, test.x, test.y)
    se = (info["test_accuracy"] * (1 - info["test_accuracy"]) / 500) ** 0.5
    assert abs(acc - info["test_accuracy"]) < 4 * se, (acc, info["test_accuracy"])
    assert info["recipe"]["epochs"] <= 40 and info["history"][-1]["epoch"] == info["recipe"]["epochs"]
    assert info["history"][-1]["test_acc"] == pytest.approx(info["test_accuracy"], abs=1e-3)
    assert info["float16_same_predictions"] == info["n_test"] or info["dtype"] == "float32"


def test_corrupt_or_missing_weights_are_named(tmp_path, monkeypatch):
    _published()
    for ext in (".pt", ".json"):
        shutil.copy(weights.weights_dir() / f"resnet20-cifar10{ext}", tmp_path / f"resnet20-cifar10{ext}")
    monkeypatch.setenv("IBBOOK_WEIGHTS", str(tmp_path))
    blob = bytearray((tmp_path / "resnet20-cifar10.pt").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / "resnet20-cifar10.pt").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"resnet20-cifar10\.pt is corrupt or altered: SHA-256"):
        weights.load_published("resnet20-cifar10")
    (tmp_path / "resnet20-cifar10.pt").write_bytes(b"not a torch file")
    info = json.loads((tmp_path / "resnet20-cifar10.json").read_text())
    info["sha256"] = weights.sha256(tmp_path / "resnet20-cifar10.pt")  # a matching hash, unreadable bytes
    (tmp_path / "resnet20-cifar10.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="is not a state dict of resnet20"):
        weights.load_published("resnet20-cifar10")
    with pytest.raises(FileNotFoundError, match="python -m ibbook.weights train resnet20-cifar10 --seed 3"):
        weights.load_published("resnet20-cifar10", seed=3)
    with pytest.raises(ValueError, match="name='vgg' is not accepted"):
        weights.load_published("vgg")
