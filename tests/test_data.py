"""ibbook.data: where data are found, what errors say, caching, subsets, variants."""
import gzip
import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ibbook.data import datasets as ds
from ibbook.data import (DataCorruptError, DataNotFoundError, load_cifar10, load_imagenette, load_mnist,
                         pixel_stats, stratified_indices)

MIRROR = ds.MIRROR
has_mirror = pytest.mark.skipif(not (MIRROR / "mnist-test").exists(), reason="offline mirror ../shared/datasets absent")


# ------------------------------------------------------------------------------------- fixtures

def write_idx(path: Path, arr: np.ndarray) -> None:
    header = (0x08 << 8 | arr.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def fake_mnist_root(root: Path, n: int = 50, value: int = 0) -> Path:
    """A root holding a tiny test-set-only MNIST in the mirror's layout; labels 0..9 repeated."""
    raw = root / "mnist-test" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(value)
    images = rng.integers(0, 256, (n, 28, 28))
    images[:, 0, 0] = value  # marks which root the data came from
    write_idx(raw / "t10k-images-idx3-ubyte.gz", images)
    write_idx(raw / "t10k-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return root


def fake_cifar_zip(root: Path, per_class: int = 2) -> Path:
    """A tiny CIFAR-10 archive in the mirror's layout, each image filled with its class index."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "cifar10-jpeg.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for split in ("train", "test"):
            for c, name in enumerate(ds.CIFAR10_CLASSES):
                for i in range(per_class):
                    buf = io.BytesIO()
                    Image.fromarray(np.full((32, 32, 3), 20 * c, np.uint8)).save(buf, format="PNG")
                    zf.writestr(f"cifar10-jpeg/{split}/{name}/{i:04d}.jpg", buf.getvalue())
    return path


@pytest.fixture
def no_mirror(monkeypatch, tmp_path):
    monkeypatch.setattr(ds, "MIRROR", tmp_path / "no-mirror")


@pytest.fixture
def trust_fakes(monkeypatch):
    """Let tiny fake archives pass: their MD5 and file counts are those of the fakes."""
    def accept(root: Path, counts=None):
        md5 = dict(ds._MD5)
        for p in root.rglob("*"):
            if p.name in md5:
                md5[p.name] = hashlib.md5(p.read_bytes()).hexdigest()
        monkeypatch.setattr(ds, "_MD5", md5)
        if counts:
            monkeypatch.setattr(ds, "_EXPECTED_COUNTS", {**ds._EXPECTED_COUNTS, **counts})
    return accept


# ------------------------------------------------------------------------------- resolution order

def test_data_root_beats_env_beats_mirror(tmp_path, monkeypatch):
    explicit, env, mirror = (fake_mnist_root(tmp_path / name, value=v) for name, v in
                             [("explicit", 1), ("env", 2), ("mirror", 3)])
    monkeypatch.setattr(ds, "check_md5", lambda path: None)  # three different fakes of one file name
    monkeypatch.setattr(ds, "MIRROR", mirror)
    monkeypatch.setenv("IBBOOK_DATA", str(env))

    def marker(**kw):
        d = load_mnist("test", **kw)
        return round(d.x[:, 0, 0, 0].mul(255).max().item()), d.origin

    assert marker(data_root=explicit) == (1, "data_root argument")
    assert marker() == (2, "IBBOOK_DATA")
    monkeypatch.delenv("IBBOOK_DATA")
    assert marker() == (3, "offline mirror")
    # a root that exists but lacks the data set is skipped, and the next place is used
    (tmp_path / "empty").mkdir()
    assert marker(data_root=tmp_path / "empty") == (3, "offline mirror")
    monkeypatch.setenv("IBBOOK_DATA", str(tmp_path / "empty"))
    assert marker() == (3, "offline mirror")


@pytest.mark.parametrize("download", [False, True])
def test_a_named_root_that_does_not_exist_is_an_error_naming_it(tmp_path, monkeypatch, download):
    mirror = fake_mnist_root(tmp_path / "mirror", value=3)
    monkeypatch.setattr(ds, "check_md5", lambda path: None)
    monkeypatch.setattr(ds, "MIRROR", mirror)  # the data are there, but a named root is missing
    monkeypatch.setattr(ds, "_download", lambda name, root: pytest.fail("no download for a mistyped root"))
    with pytest.raises(DataNotFoundError, match=r"^data_root='/nonexistent' is not an existing folder "
                                                r"\(/nonexistent\)\. Check the path"):
        load_mnist("test", data_root="/nonexistent", download=download)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(DataNotFoundError, match=r"data_root='.*a-file' is not an existing folder"):
        ds.find_dataset("mnist", tmp_path / "a-file")
    monkeypatch.setenv("IBBOOK_DATA", "/nonexistent")
    with pytest.raises(DataNotFoundError, match=r"^the environment variable IBBOOK_DATA='/nonexistent' is not an "
                                                r"existing folder .*unset IBBOOK_DATA"):
        load_mnist("test", download=download)
    monkeypatch.setenv("IBBOOK_DATA", "")  # empty: not given
    assert load_mnist("test").origin == "offline mirror"


def test_missing_data_lists_every_place_tried_and_how_to_get_it(tmp_path, monkeypatch, no_mirror):
    # named roots that exist but are empty: searched, then the mirror and download folder (both missing)
    (tmp_path / "given").mkdir()
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("IBBOOK_DATA", str(tmp_path / "env"))
    with pytest.raises(DataNotFoundError) as err:
        load_cifar10("train", data_root=tmp_path / "given")
    msg = str(err.value)
    for place in (str(tmp_path / "given"), str(tmp_path / "env"), str(tmp_path / "no-mirror"),
                  str(tmp_path / "cache" / "downloads")):
        assert place in msg
    for label in ("data_root argument", "IBBOOK_DATA", "offline mirror", "download folder",
                  "offline mirror; that folder does not exist", f"{tmp_path / 'given' / 'cifar-10-batches-py'}",
                  f"{tmp_path / 'env' / 'cifar10-jpeg.zip'}  (IBBOOK_DATA)", "download=True", "IBBOOK_DOWNLOAD=1"):
        assert label in msg
    assert (msg.index("data_root argument") < msg.index("IBBOOK_DATA") < msg.index("offline mirror")
            < msg.index("download folder"))


def test_download_is_asked_for_only_when_allowed(tmp_path, monkeypatch, no_mirror):
    calls = []
    monkeypatch.setattr(ds, "_download", lambda name, root: calls.append((name, root)))
    with pytest.raises(DataNotFoundError):
        load_mnist("test", data_root=tmp_path)
    assert calls == []
    with pytest.raises(DataNotFoundError):  # our fake download fetches nothing, so the search fails again
        load_mnist("test", data_root=tmp_path, download=True)
    assert calls == [("mnist", tmp_path)]
    monkeypatch.setenv("IBBOOK_DOWNLOAD", "1")
    with pytest.raises(DataNotFoundError):
        load_mnist("test", data_root=tmp_path)
    assert len(calls) == 2


# ----------------------------------------------------------------------------- integrity checks

def test_corrupt_archive_is_an_error_naming_the_checksum(tmp_path, no_mirror):
    fake_cifar_zip(tmp_path)
    with pytest.raises(DataCorruptError, match=r"cifar10-jpeg.zip is corrupt .*MD5 [0-9a-f]{32}, expected "
                                               "7dbaff06a80668131351cd05e56f8218"):
        load_cifar10("test", data_root=tmp_path)


def test_incomplete_archive_is_an_error(tmp_path, no_mirror, trust_fakes):
    fake_cifar_zip(tmp_path)
    trust_fakes(tmp_path)  # right checksum, but 20 test images where 10,000 are expected
    with pytest.raises(DataCorruptError, match="holds 20 test images, expected 10000"):
        load_cifar10("test", data_root=tmp_path)


def test_truncated_idx_file_is_an_error(tmp_path, no_mirror, trust_fakes):
    root = fake_mnist_root(tmp_path / "m")
    path = root / "mnist-test" / "raw" / "t10k-images-idx3-ubyte.gz"
    with gzip.open(path, "rb") as f:
        data = f.read()
    with gzip.open(path, "wb") as f:
        f.write(data[:-10])
    trust_fakes(root)
    with pytest.raises(DataCorruptError, match="truncated"):
        load_mnist("test", data_root=root)


# ------------------------------------------------------------------------ decoding and caching

def test_zip_layout_decodes_labels_in_class_order_and_is_cached(tmp_path, monkeypatch, no_mirror, trust_fakes):
    fake_cifar_zip(tmp_path)
    trust_fakes(tmp_path, counts={"cifar10-jpeg": {"train": 20, "test": 20}})
    d = load_cifar10("train", data_root=tmp_path)
    assert d.x.shape == (20, 3, 32, 32) and d.x.dtype == torch.float32 and d.y.dtype == torch.int64
    # every image is filled with 20 * its class index: labels must follow the class names
    assert torch.equal(d.x[:, 0, 0, 0].mul(255).round().long(), 20 * d.y)
    assert d.variant == "JPEG mirror" and "JPEG-compressed" in d.notes[0]
    assert d.describe() == "CIFAR-10 train: 20 of 20 images, 3x32x32, 10 classes; variant: JPEG mirror"

    def no_decoding(*a, **k):
        raise AssertionError("decoded again although the arrays were cached")

    monkeypatch.setattr(ds, "_decode_images", no_decoding)
    again = load_cifar10("train", data_root=tmp_path)
    assert torch.equal(again.x, d.x)


def test_unpacked_folder_layout_gives_the_same_data_as_the_zip(tmp_path, no_mirror, trust_fakes):
    zipped = fake_cifar_zip(tmp_path / "z")
    with zipfile.ZipFile(zipped) as zf:
        zf.extractall(tmp_path / "u")
    trust_fakes(tmp_path / "z", counts={"cifar10-jpeg": {"train": 20, "test": 20}})
    a = load_cifar10("test", data_root=tmp_path / "z")
    b = load_cifar10("test", data_root=tmp_path / "u")
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


def test_size_grayscale_and_subsets(tmp_path, no_mirror, trust_fakes):
    fake_cifar_zip(tmp_path, per_class=3)
    trust_fakes(tmp_path, counts={"cifar10-jpeg": {"train": 30, "test": 30}})
    d = load_cifar10("train", data_root=tmp_path, n=10, seed=1, size=16, grayscale=True)
    assert d.x.shape == (10, 1, 16, 16) and sorted(d.y.tolist()) == list(range(10))
    assert d.variant == "JPEG mirror, resized to 16 px, grayscale" and d.full_size == 30
    other = load_cifar10("train", data_root=tmp_path, n=10, seed=2)
    assert not np.array_equal(d.indices, other.indices)
    st = pixel_stats("cifar10", "train", data_root=tmp_path)
    full = load_cifar10("train", data_root=tmp_path)
    assert torch.allclose(st.mean, full.x.mean(dim=(0, 2, 3)), atol=1e-6)
    assert torch.allclose(st.std, full.x.std(dim=(0, 2, 3)), atol=1e-5) and (st.images, st.side) == (30, 32)


def test_stratified_indices_balance_classes_and_reject_bad_sizes():
    labels = np.repeat(np.arange(4), [10, 10, 10, 2])
    rows = stratified_indices(labels, 16, seed=0)
    assert np.array_equal(np.bincount(labels[rows]), [5, 5, 5, 1])  # each class keeps its share
    counts = [np.bincount(labels[stratified_indices(labels, 5, seed=k)], minlength=4) for k in range(20)]
    assert all(c.sum() == 5 and c.max() <= 2 for c in counts) and len({tuple(c) for c in counts}) > 1
    assert np.all(np.diff(rows) > 0)
    assert len(stratified_indices(labels, len(labels), seed=0)) == len(labels)
    for bad in (0, 33, 2.5, True):
        with pytest.raises(ValueError, match=f"n={bad!r} is not accepted; use None .* from 1 to 32"):
            stratified_indices(labels, bad, seed=0)


@pytest.mark.parametrize("call,match", [
    (lambda: load_cifar10("val"), r"split of cifar10='val' is not accepted; use one of 'train', 'test'"),
    (lambda: load_imagenette("test"), r"split of imagenette='test' is not accepted; use one of 'train', 'val'"),
    (lambda: ds.load_images("svhn", "train"), r"dataset='svhn' is not accepted; use one of 'cifar10', 'mnist'"),
    (lambda: load_mnist("train", size=0), r"size=0 is not accepted"),
])
def test_bad_names_are_errors_naming_the_accepted_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------------------- the real mirror

@has_mirror
def test_mnist_mirror_split_is_stratified_disjoint_and_fixed():
    train, test = load_mnist("train"), load_mnist("test")
    assert (len(train), len(test)) == (8000, 2000) and train.x.shape[1:] == (1, 28, 28)
    assert "test-set mirror" in train.variant and train.origin == "offline mirror"
    # stratified: each digit's share is the same in both parts, to within one image of the test part
    assert np.abs(np.bincount(test.y.numpy()) / 2000 - np.bincount(train.y.numpy()) / 8000).max() < 1 / 2000
    def keys(d):
        return {row.tobytes() for row in d.x.mul(255).round().to(torch.uint8).flatten(1).numpy()}

    assert not keys(train) & keys(test)
    assert torch.equal(load_mnist("test").y, test.y)  # same split every time


@has_mirror
def test_mirror_checksums_match_the_readme():
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        ds.check_md5(MIRROR / "mnist-test" / "raw" / name)


# ----------------------------------------------- torchvision's own layouts (users with internet)

def test_torchvision_cifar10_layout_is_preferred_and_labelled_original(tmp_path, monkeypatch, no_mirror):
    import pickle

    from torchvision.datasets import CIFAR10
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": [0, 1, 2, 3]}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(ds.CIFAR10_CLASSES)}, f)
    fake_cifar_zip(tmp_path)  # a mirror copy in the same root: the original data win
    import torchvision.datasets.cifar as tv_cifar
    monkeypatch.setattr(CIFAR10, "_check_integrity", lambda self: True)  # fakes have other checksums
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda *args, **kwargs: True)
    d = load_cifar10("train", data_root=tmp_path)
    assert d.variant == "original (torchvision)" and d.x.shape == (20, 3, 32, 32)
    assert d.y.tolist() == [0, 1, 2, 3] * 5


def test_torchvision_mnist_layout_gives_the_real_train_test_split(tmp_path, monkeypatch, no_mirror):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, n in (("train", 30), ("t10k", 10)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), n))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    monkeypatch.setattr(ds, "check_md5", lambda path: None)
    train, test = load_mnist("train", data_root=tmp_path), load_mnist("test", data_root=tmp_path)
    assert (len(train), len(test)) == (30, 10) and train.variant == "original train/test (torchvision)"
    assert round(train.x.max().item() * 255) == 30 and round(test.x.max().item() * 255) == 10
    assert not train.notes


def test_torchvision_imagenette_layout_is_centre_cropped_to_224(tmp_path, no_mirror):
    for split in ("train", "val"):
        for wnid in ds.IMAGENETTE_WNIDS[:2]:
            folder = tmp_path / "imagenette2-320" / split / wnid
            folder.mkdir(parents=True)
            img = np.zeros((320, 480, 3), np.uint8)
            img[:, 240:] = 255  # right half white: the centre crop keeps half black, half white
            Image.fromarray(img).save(folder / "a.JPEG", quality=95)
    d = load_imagenette("val", data_root=tmp_path)
    assert d.x.shape == (2, 3, 224, 224) and d.variant.startswith("torchvision imagenette2-320")
    row = d.x[0, 0, 112]
    assert row[:100].max() < 0.1 and row[124:].min() > 0.9


def test_what_a_download_fetched_is_found_without_further_settings(monkeypatch, no_mirror):
    def fake_download(name, data_root):  # stands in for torchvision, which needs internet
        root = next(r for origin, r in ds.candidate_roots(data_root) if origin != "offline mirror")
        fake_mnist_root(root, value=7)

    monkeypatch.setattr(ds, "_download", fake_download)
    monkeypatch.setattr(ds, "check_md5", lambda path: None)
    d = load_mnist("test", download=True)
    assert d.origin == "download folder" and round(d.x[:, 0, 0, 0].max().item() * 255) == 7
    assert load_mnist("test").origin == "download folder"  # found again later, no download asked
