"""Real image data sets (CIFAR-10, MNIST, Imagenette) as tensors, found offline or downloaded.

Where the data come from, in this order (the first place that holds the data set wins):

1. the ``data_root`` argument (a chapter's ``data_root`` parameter);
2. the ``IBBOOK_DATA`` environment variable;
3. the offline mirrors in ``../shared/datasets`` beside the project (see that folder's README);
4. the download folder ``<cache root>/downloads``, where a torchvision download goes when neither
   1 nor 2 is given; a download happens only when the caller passes ``download=True`` or sets
   ``IBBOOK_DOWNLOAD=1``.

A folder named in 1 or 2 must exist: a missing one (a mistyped path) is a :class:`DataNotFoundError`
naming it, never a silent fall-back to the other places. One that exists but does not hold the
data set is passed over for the next place.

Inside a root each data set may be stored as torchvision stores it (the original data) or in the
mirror's layout (a zip archive or its unpacked folder). Decoded images are cached as ``uint8``
arrays under ``<cache root>/data`` (see :mod:`ibbook.cache`), so a second load of the whole
CIFAR-10 takes well under a second. Every archive is checked against its known MD5 before it is
decoded; a mismatch is an error, never silently wrong data.

Used by: the Data appendix and every chapter that trains on images.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from .. import PROJECT_ROOT
from ..cache import atomic_write, cache_root
from ..params import check_choice

#: Where the offline mirrors sit for developers and CI: ``../shared/datasets`` from the project root.
MIRROR = PROJECT_ROOT.parent / "shared" / "datasets"

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MNIST_CLASSES = tuple(str(d) for d in range(10))
IMAGENETTE_WNIDS = ("n01440764", "n02102040", "n02979186", "n03000684", "n03028079", "n03394916", "n03417042",
                    "n03425413", "n03445777", "n03888257")
IMAGENETTE_CLASSES = ("tench", "English springer", "cassette player", "chain saw", "church", "French horn",
                      "garbage truck", "gas pump", "golf ball", "parachute")
#: MNIST test-set-only mirrors are split into this many train / test images (stratified, fixed seed).
MNIST_MIRROR_SPLIT = (8000, 2000)
MNIST_SPLIT_SEED = 0
#: Part of every decoded-array cache key: bump it whenever decoding or splitting changes, so that
#: arrays cached by older code are never served.
CACHE_FORMAT = 2

_MD5 = {
    "cifar10-jpeg.zip": "7dbaff06a80668131351cd05e56f8218",
    "imagenette-224.zip": "4400b0e810a267443f795031d129591f",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
}
_EXPECTED_COUNTS = {"cifar10-jpeg": {"train": 50000, "test": 10000},
                    "imagenette-224": {"train": 9469, "val": 3925}}

class DataNotFoundError(FileNotFoundError):
    """No place that was searched holds the data set (the message lists them and how to get it), or
    a folder named by ``data_root`` or ``IBBOOK_DATA`` does not exist (the message names it)."""


class DataCorruptError(RuntimeError):
    """An archive or folder exists but is not what it should be (checksum or file count)."""


@dataclass
class ImageData:
    """Images as a float tensor ``x`` (N×C×H×W, values in [0, 1]) with labels ``y`` (int64).

    ``variant`` says which version of the data set was served (e.g. ``"JPEG mirror"``), so that
    chapters can print it; ``indices`` are the rows of the whole split that were kept.
    """

    name: str
    split: str
    x: torch.Tensor
    y: torch.Tensor
    classes: tuple[str, ...]
    variant: str
    full_size: int
    indices: np.ndarray
    source: Path = field(repr=False)
    origin: str = ""
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.y)

    def describe(self) -> str:
        """One line: data set, split, how many images of how many, shape, variant."""
        c, h, w = self.x.shape[1:]
        return (f"{self.name} {self.split}: {len(self)} of {self.full_size} images, {c}x{h}x{w}, "
                f"{len(self.classes)} classes; variant: {self.variant}")


# --------------------------------------------------------------------------------------- helpers

def md5sum(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def check_md5(path: Path) -> None:
    """Raise :class:`DataCorruptError` if ``path`` is a known archive whose MD5 does not match."""
    want = _MD5.get(path.name)
    if want is None:
        return
    got = md5sum(path)
    if got != want:
        raise DataCorruptError(f"{path} is corrupt or not the expected file: MD5 {got}, expected {want}. "
                               "Copy or download the archive again.")


def stratified_indices(labels: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Sorted indices of a class-stratified random subset of ``n`` rows (all rows when ``n`` is None).

    Each class keeps its share of the rows: class ``c`` with ``n_c`` of ``N`` rows gets
    ``floor(n n_c / N)`` rows, and the rows left over go to the classes with the largest
    remainders (ties broken at random). Rows inside a class are drawn at random with ``seed``.
    """
    labels = np.asarray(labels)
    if n is None:
        return np.arange(len(labels))
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(labels):
        raise ValueError(f"n={n!r} is not accepted; use None (all) or an integer from 1 to {len(labels)}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    exact = n * counts / len(labels)
    take = np.floor(exact).astype(int)
    remainder = exact - take
    order = np.lexsort((rng.random(len(classes)), -remainder))  # largest remainder first, random ties
    take[order[: n - take.sum()]] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


def mnist_mirror_split(labels: np.ndarray, split: str) -> np.ndarray:
    """Rows of the MNIST test set used as ``"train"`` (8,000 of 10,000) or ``"test"`` (2,000).

    Stratified with seed ``MNIST_SPLIT_SEED`` so every chapter and every run sees the same split.
    """
    n_test = round(len(labels) * MNIST_MIRROR_SPLIT[1] / sum(MNIST_MIRROR_SPLIT))
    test_rows = stratified_indices(labels, n_test, MNIST_SPLIT_SEED)
    if split == "test":
        return test_rows
    return np.setdiff1d(np.arange(len(labels)), test_rows)


def _read_idx(path: Path) -> np.ndarray:
    """Read an MNIST IDX file (gzip or plain) into a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim not in (1, 3):
        raise DataCorruptError(f"{path} is not an MNIST IDX file of unsigned bytes (magic {magic:#x})")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise DataCorruptError(f"{path} is truncated: {arr.size} values for shape {dims}")
    return arr.reshape(dims)


def _decode_images(read: Callable[[str], bytes], names: Sequence[str], desc: str) -> np.ndarray:
    """Decode JPEG/PNG files (given by name) into one N×H×W×3 uint8 array, using two threads."""
    def one(name: str) -> np.ndarray:
        with Image.open(io.BytesIO(read(name))) as im:
            return np.asarray(im.convert("RGB"))

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        images = list(tqdm(pool.map(one, names, chunksize=64), total=len(names), desc=desc, disable=None))
    shapes = {im.shape for im in images}
    if len(shapes) != 1:
        raise DataCorruptError(f"{desc}: images of different sizes {sorted(shapes)[:3]}...")
    return np.stack(images)


# ----------------------------------------------------------------------------- the stored layouts

@dataclass(frozen=True)
class _Layout:
    """One way a data set can be stored inside a root folder."""

    dataset: str
    variant: str
    paths: tuple[str, ...]  # where inside a root it may sit; the first that exists is used
    decode: Callable[[Path, str], tuple[np.ndarray, np.ndarray]]  # (source, split) -> (images NHWC, labels)
    notes: tuple[str, ...] = ()

    def present(self, root: Path) -> Path | None:
        """The first of ``paths`` that exists under ``root``, or None."""
        return next((root / p for p in self.paths if (root / p).exists()), None)


def _folder_layout(base: str, folders: Sequence[str]) -> Callable[[Path, str], tuple[np.ndarray, np.ndarray]]:
    """Decoder for the mirror layout ``<base>/<split>/<class folder>/<file>``, zipped or unpacked."""
    def decode(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
        zipped = source.suffix == ".zip"
        if zipped:
            check_md5(source)
            with zipfile.ZipFile(source) as zf:
                names = sorted(n for n in zf.namelist() if n.startswith(f"{base}/{split}/") and not n.endswith("/"))
        else:
            files = {f"{base}/{split}/{p.parent.name}/{p.name}": p
                     for p in (source / split).glob("*/*") if p.is_file()}
            names = sorted(files)
        # check what is there before spending time on decoding it
        expected = _EXPECTED_COUNTS[base][split]
        if len(names) != expected:
            raise DataCorruptError(f"{source} holds {len(names)} {split} images, expected {expected}: "
                                   "the archive or folder is incomplete")
        index = {f: i for i, f in enumerate(folders)}
        unknown = sorted({n.split("/")[2] for n in names} - set(index))
        if unknown:
            raise DataCorruptError(f"{source} has class folders {unknown} that are not among {list(folders)}")
        labels = np.array([index[n.split("/")[2]] for n in names], dtype=np.int64)
        desc = f"decoding {source.name} {split}"
        if not zipped:
            return _decode_images(lambda n: files[n].read_bytes(), names, desc), labels
        handles: dict[int, zipfile.ZipFile] = {}

        def read(name: str) -> bytes:  # one ZipFile handle per thread: ZipFile is not thread-safe
            key = threading.get_ident()
            if key not in handles:
                handles[key] = zipfile.ZipFile(source)
            return handles[key].read(name)

        try:
            return _decode_images(read, names, desc), labels
        finally:
            for handle in handles.values():
                handle.close()
    return decode


def _cifar_torchvision(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    from torchvision.datasets import CIFAR10
    root = source.parent.parent  # source is <root>/cifar-10-batches-py/batches.meta
    ds = CIFAR10(str(root), train=(split == "train"), download=False)
    return np.asarray(ds.data), np.asarray(ds.targets, dtype=np.int64)


def _mnist_files(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    paths = [source / f"{prefix}-images-idx3-ubyte.gz", source / f"{prefix}-labels-idx1-ubyte.gz"]
    for p in paths:
        check_md5(p)
    images, labels = (_read_idx(p) for p in paths)
    return images[..., None], labels.astype(np.int64)


def _mnist_test_only(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = _mnist_files(source, "test")
    rows = mnist_mirror_split(labels, split)
    return images[rows], labels[rows]


def _imagenette_torchvision(source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    from torchvision.datasets import Imagenette
    ds = Imagenette(str(source.parent), split=split, size="320px", download=False)
    names = [str(p) for p, _ in ds._samples]

    def read(path: str) -> bytes:
        with Image.open(path) as im:  # shorter side to 224, then a centred 224x224 crop
            im = im.convert("RGB")
            s = 224 / min(im.size)
            im = im.resize((max(224, round(im.width * s)), max(224, round(im.height * s))), Image.BILINEAR)
            left, top = (im.width - 224) // 2, (im.height - 224) // 2
            buf = io.BytesIO()
            im.crop((left, top, left + 224, top + 224)).save(buf, format="PNG")
            return buf.getvalue()

    images = _decode_images(read, names, f"decoding Imagenette {split}")
    return images, np.array([label for _, label in ds._samples], dtype=np.int64)


_LAYOUTS: dict[str, list[_Layout]] = {
    "cifar10": [
        _Layout("cifar10", "original (torchvision)", ("cifar-10-batches-py/batches.meta",), _cifar_torchvision),
        _Layout("cifar10", "JPEG mirror", ("cifar10-jpeg.zip", "cifar10-jpeg"),
                _folder_layout("cifar10-jpeg", CIFAR10_CLASSES),
                notes=("JPEG-compressed (quality about 75, 4:2:0 chroma): less high-frequency and colour detail than "
                       "the original CIFAR-10, so Fourier results differ somewhat from runs on the original data",)),
    ],
    "mnist": [
        _Layout("mnist", "original train/test (torchvision)", ("MNIST/raw/train-images-idx3-ubyte.gz",),
                lambda src, split: _mnist_files(src.parent, split)),
        _Layout("mnist", f"test-set mirror split {MNIST_MIRROR_SPLIT[0]}/{MNIST_MIRROR_SPLIT[1]}",
                ("mnist-test/raw/t10k-images-idx3-ubyte.gz", "MNIST/raw/t10k-images-idx3-ubyte.gz"),
                lambda src, split: _mnist_test_only(src.parent, split),
                notes=(f"only the official 10,000-image test set is available; it is split into "
                       f"{MNIST_MIRROR_SPLIT[0]} training and {MNIST_MIRROR_SPLIT[1]} test images, stratified "
                       f"by class with seed {MNIST_SPLIT_SEED}",)),
    ],
    "imagenette": [
        _Layout("imagenette", "224 px mirror", ("imagenette-224.zip", "imagenette-224"),
                _folder_layout("imagenette-224", IMAGENETTE_WNIDS),
                notes=("some images are grayscale and are repeated over three channels",)),
        _Layout("imagenette", "torchvision imagenette2-320, centre-cropped to 224 px", ("imagenette2-320",),
                _imagenette_torchvision),
    ],
}
_SPLITS = {"cifar10": ("train", "test"), "mnist": ("train", "test"), "imagenette": ("train", "val")}
_NAMES = {"cifar10": "CIFAR-10", "mnist": "MNIST", "imagenette": "Imagenette"}
_CLASSES = {"cifar10": CIFAR10_CLASSES, "mnist": MNIST_CLASSES, "imagenette": IMAGENETTE_CLASSES}


def candidate_roots(data_root: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The folders searched, in order, each with where it came from.

    ``data_root`` (None or ``""``: not given) and ``$IBBOOK_DATA`` (unset or empty: not given) are
    named by the user, so each must be an existing folder: otherwise :class:`DataNotFoundError`
    names it (the places after it are not searched).
    """
    roots = []
    named = (("data_root argument", data_root, f"data_root={str(data_root)!r}", "give no data_root to search "
              "IBBOOK_DATA,"),
             ("IBBOOK_DATA", os.environ.get("IBBOOK_DATA"),
              f"the environment variable IBBOOK_DATA={os.environ.get('IBBOOK_DATA')!r}", "unset IBBOOK_DATA to search"))
    for origin, value, what, instead in named:
        if value in (None, ""):
            continue
        root = Path(value).expanduser()
        if not root.is_dir():
            raise DataNotFoundError(
                f"{what} is not an existing folder ({root}). Check the path; create the folder first if a "
                f"download should go there; or {instead} the offline mirror and the download folder.")
        roots.append((origin, root))
    roots.append(("offline mirror", MIRROR))
    roots.append(("download folder", download_dir()))
    return roots


def download_dir() -> Path:
    """Where torchvision downloads go when neither ``data_root`` nor ``IBBOOK_DATA`` is given."""
    return cache_root() / "downloads"


@dataclass(frozen=True)
class Found:
    """Where a data set was found: the stored ``layout``, the file or folder ``source`` and the
    ``origin`` of its root (``"data_root argument"``, ``"IBBOOK_DATA"``, ``"offline mirror"`` or
    ``"download folder"``)."""

    layout: _Layout
    source: Path
    origin: str


def find_dataset(dataset: str, data_root: str | os.PathLike | None = None) -> Found:
    """The first stored copy of ``dataset`` in the search order, or :class:`DataNotFoundError` (which
    lists every place tried; also raised when ``data_root`` or ``IBBOOK_DATA`` names a missing folder,
    see :func:`candidate_roots`)."""
    check_choice("dataset", dataset, _LAYOUTS)
    tried = []
    for origin, root in candidate_roots(data_root):
        for layout in _LAYOUTS[dataset]:
            found = layout.present(root) if root.is_dir() else None
            if found is not None:
                return Found(layout, found, origin)
            state = origin if root.is_dir() else f"{origin}; that folder does not exist"
            tried += [f"  - {root / p}  ({state})" for p in layout.paths]
    stored = " or ".join(p.split("/")[0] for layout in _LAYOUTS[dataset] for p in layout.paths[:1])
    raise DataNotFoundError(
        f"{_NAMES[dataset]} was not found. Places tried, in order:\n" + "\n".join(tried) + "\n"
        f"To get it: on a machine with internet pass download=True (or set IBBOOK_DOWNLOAD=1) and torchvision "
        f"fetches it; or put {stored} into a folder and pass that folder as data_root or IBBOOK_DATA.")


def _download(dataset: str, data_root: str | os.PathLike | None) -> None:
    """Let torchvision fetch ``dataset`` into the first user-given root, else the download folder."""
    root = next(r for origin, r in candidate_roots(data_root) if origin != "offline mirror")
    root.mkdir(parents=True, exist_ok=True)
    import torchvision.datasets as tvd
    if dataset == "cifar10":
        for train in (True, False):
            tvd.CIFAR10(str(root), train=train, download=True)
    elif dataset == "mnist":
        for train in (True, False):
            tvd.MNIST(str(root), train=train, download=True)
    else:
        for split in ("train", "val"):
            tvd.Imagenette(str(root), split=split, size="320px", download=True)


def _save_npy(path: str, arr: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.save(f, arr)
        f.flush()
        os.fsync(f.fileno())


def _cached_arrays(layout: _Layout, source: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Decoded ``(images, labels)`` of one split, from the array cache or decoded once and cached."""
    st = source.stat()
    key = hashlib.sha256(json.dumps([CACHE_FORMAT, str(source.resolve()), st.st_size, int(st.st_mtime),
                                     layout.variant, split])
                         .encode()).hexdigest()[:12]
    folder = cache_root() / "data" / f"{layout.dataset}-{split}-{key}"
    img_path, lab_path = folder / "images.npy", folder / "labels.npy"
    if not (img_path.exists() and lab_path.exists()):
        images, labels = layout.decode(source, split)
        for path, arr in ((img_path, images), (lab_path, labels)):
            atomic_write(path, lambda tmp, arr=arr: _save_npy(tmp, arr))
    return np.load(img_path, mmap_mode="r"), np.load(lab_path)


def _rows_of(images: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``images[rows]``, read as one slice when ``rows`` is a contiguous run (no fancy-index copy)."""
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        return images[rows[0]: rows[-1] + 1]
    return images[rows]


def _float_chunks(images: np.ndarray, rows: np.ndarray, size: int | None, grayscale: bool,
                  max_values: int = 2**25):
    """uint8 N×H×W×C rows → float32 N×C×H×W chunks in [0, 1], optionally resized and/or made grayscale.

    Each chunk holds at most ``max_values`` input values (128 MiB as float32), bounding memory.
    """
    chunk = max(1, max_values // int(np.prod(images.shape[1:])))
    for start in range(0, len(rows), chunk):
        x = torch.from_numpy(np.array(_rows_of(images, rows[start:start + chunk]))).permute(0, 3, 1, 2)
        x = x.float().div_(255)
        if grayscale and x.shape[1] == 3:  # ITU-R 601 luma, as PIL's convert("L")
            x = (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
        if size is not None and x.shape[-1] != size:
            x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                                                align_corners=False).clamp_(0, 1)
        yield x


def _to_tensor(images: np.ndarray, rows: np.ndarray, size: int | None, grayscale: bool) -> torch.Tensor:
    """All chosen rows as one float32 N×C×H×W tensor in [0, 1], filled chunk by chunk into one allocation."""
    if size in (None, images.shape[1]) and not (grayscale and images.shape[-1] == 3):
        # fast path: uint8 → float32 and NHWC → NCHW in one copy per chunk, then one in-place scale
        out = torch.empty((len(rows), images.shape[3], images.shape[1], images.shape[2]), dtype=torch.float32)
        for start in range(0, len(rows), 4096):
            part = torch.from_numpy(np.array(_rows_of(images, rows[start:start + 4096])))
            out[start:start + len(part)].copy_(part.permute(0, 3, 1, 2))
        return out.div_(255)
    parts = list(_float_chunks(images, rows, size, grayscale))
    return torch.cat(parts)


def _check_size(size) -> None:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise ValueError(f"size={size!r} is not accepted; use None (keep) or a positive integer")


def _open(dataset: str, split: str, data_root, download: bool | None) -> tuple[Found, np.ndarray, np.ndarray]:
    """Find ``dataset`` (downloading if allowed) and return where it was found with its decoded arrays."""
    check_choice("dataset", dataset, _LAYOUTS)
    check_choice(f"split of {dataset}", split, _SPLITS[dataset])
    if download is None:
        download = os.environ.get("IBBOOK_DOWNLOAD") == "1"
    candidate_roots(data_root)  # a missing named root is an error here, never a reason to download
    try:
        found = find_dataset(dataset, data_root)
    except DataNotFoundError:
        if not download:
            raise
        _download(dataset, data_root)
        found = find_dataset(dataset, data_root)
    images, labels = _cached_arrays(found.layout, found.source, split)
    return found, images, labels


def load_images(dataset: str, split: str, *, n: int | None = None, seed: int = 0,
                data_root: str | os.PathLike | None = None, size: int | None = None, grayscale: bool = False,
                download: bool | None = None) -> ImageData:
    """Load ``split`` of ``dataset`` (``"cifar10"``, ``"mnist"``, ``"imagenette"``) as an :class:`ImageData`.

    ``n`` keeps a class-stratified random subset of that many images (``seed`` picks it; None keeps
    all); ``size`` resizes to ``size``×``size`` (antialiased bilinear); ``grayscale`` returns one luma
    channel. ``download`` (default: ``$IBBOOK_DOWNLOAD == "1"``) lets torchvision fetch the data
    when no stored copy is found. A ``data_root`` or ``$IBBOOK_DATA`` that names a missing folder is a
    :class:`DataNotFoundError` naming it, with or without ``download`` (see :func:`candidate_roots`).
    """
    _check_size(size)
    found, images, labels = _open(dataset, split, data_root, download)
    layout = found.layout
    rows = stratified_indices(labels, n, seed)
    x = _to_tensor(images, rows, size, grayscale)
    variant = layout.variant + (f", resized to {size} px" if size and size != images.shape[1] else "") \
        + (", grayscale" if grayscale and images.shape[-1] == 3 else "")
    return ImageData(name=_NAMES[dataset], split=split, x=x, y=torch.from_numpy(labels[rows].copy()),
                     classes=_CLASSES[dataset], variant=variant, full_size=len(labels), indices=rows,
                     source=found.source, origin=found.origin, notes=layout.notes)


@dataclass(frozen=True)
class PixelStats:
    """Per-channel ``mean`` and ``std`` over ``images`` images of ``side``×``side`` pixels."""

    mean: torch.Tensor
    std: torch.Tensor
    images: int
    side: int


def pixel_stats(dataset: str, split: str, *, n: int | None = None, seed: int = 0,
                data_root: str | os.PathLike | None = None, size: int | None = None, grayscale: bool = False,
                download: bool | None = None) -> PixelStats:
    """Per-channel mean and standard deviation of the pixel values, with how many images of which side.

    Same arguments as :func:`load_images`, but the images are streamed in chunks (float64
    accumulators), so that the statistics of a whole split never need it in memory at once.
    """
    _check_size(size)
    _, images, labels = _open(dataset, split, data_root, download)
    rows = stratified_indices(labels, n, seed)
    total = total_sq = None
    count = 0
    for x in _float_chunks(images, rows, size, grayscale):
        x = x.double()
        part, part_sq = x.sum(dim=(0, 2, 3)), x.square().sum(dim=(0, 2, 3))
        total = part if total is None else total + part
        total_sq = part_sq if total_sq is None else total_sq + part_sq
        count += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / count
    std = ((total_sq - count * mean.square()) / (count - 1)).clamp_min(0).sqrt()
    return PixelStats(mean=mean.float(), std=std.float(), images=len(rows), side=int(x.shape[-1]))


def load_cifar10(split: str = "train", **kwargs) -> ImageData:
    """CIFAR-10 ``"train"`` (50,000) or ``"test"`` (10,000), 3×32×32; see :func:`load_images`."""
    return load_images("cifar10", split, **kwargs)


def load_mnist(split: str = "train", **kwargs) -> ImageData:
    """MNIST ``"train"`` or ``"test"``, 1×28×28 (test-only mirror: split 8,000/2,000); see :func:`load_images`."""
    return load_images("mnist", split, **kwargs)


def load_imagenette(split: str = "train", **kwargs) -> ImageData:
    """Imagenette ``"train"`` (9,469) or ``"val"`` (3,925), 3×224×224; see :func:`load_images`."""
    return load_images("imagenette", split, **kwargs)
