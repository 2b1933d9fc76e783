"""Chapter parameters: scales, devices, seeds, validated in one place.

Every chapter has a papermill ``parameters`` cell with at least ``scale``, ``device``, ``seed`` and
``data_root``. The chapter then states the settings behind each scale once, through
:func:`setup`, which validates the values, seeds every generator, resolves the device and
returns a :class:`Settings` object that the rest of the chapter reads.

Used by: every chapter (first code cell after the parameters).
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import torch

DEVICES = ("auto", "cpu", "cuda")
#: The two scales every chapter defines; a chapter may add more.
REQUIRED_SCALES = ("small", "full")


def check_choice(name: str, value: Any, accepted) -> Any:
    """Return ``value`` if it is one of ``accepted``, else raise a ``ValueError`` naming both."""
    accepted = tuple(accepted)
    if value not in accepted:
        raise ValueError(f"{name}={value!r} is not accepted; use one of {', '.join(map(repr, accepted))}")
    return value


def resolve_device(device: str) -> torch.device:
    """Map ``"auto" | "cpu" | "cuda"`` to a :class:`torch.device`.

    ``"auto"`` picks CUDA when a GPU is visible, else the CPU. Asking for ``"cuda"`` on a machine
    without one is an error (never a silent fall-back that would make timings meaningless).
    """
    check_choice("device", device, DEVICES)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for but torch sees no CUDA GPU; use device='cpu' or 'auto'")
    return torch.device(device)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (CPU and CUDA)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} is not accepted; use a non-negative integer")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))


@dataclass(frozen=True)
class Settings:
    """What a chapter runs with: the validated parameters plus the chosen scale's settings.

    Scale-specific values are read as attributes (``s.n_train``) or items (``s["n_train"]``).
    """

    chapter: str
    scale: str
    device: torch.device
    seed: int
    data_root: Path | None
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "values")
        if name in values:
            return values[name]
        raise AttributeError(f"scale {self.scale!r} of chapter {self.chapter!r} defines no {name!r}; "
                             f"it defines {', '.join(sorted(values))}")

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def as_dict(self) -> dict[str, Any]:
        """Plain, JSON-friendly view (used for cache keys and run records)."""
        return {"chapter": self.chapter, "scale": self.scale, "device": str(self.device), "seed": self.seed,
                "data_root": None if self.data_root is None else str(self.data_root), **dict(self.values)}

    def table(self) -> str:
        """The settings as aligned ``name  value`` lines, for printing at the top of a chapter."""
        rows = {"scale": self.scale, "device": self.device.type, "seed": self.seed, **dict(self.values)}
        width = max(map(len, rows))
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows.items())


def setup(chapter: str, *, scale: str, device: str, seed: int, data_root: str | os.PathLike | None,
          scales: Mapping[str, Mapping[str, Any]]) -> Settings:
    """Validate a chapter's parameters and return its :class:`Settings`.

    ``scales`` maps each scale name to the settings it implies, e.g.
    ``{"small": {"epochs": 2}, "full": {"epochs": 40}}``; it must define ``small`` and ``full`` with
    the same keys, so that a reader sees both scales side by side in the chapter. Bad values raise
    ``ValueError`` naming the value and what is accepted. Seeds Python, NumPy and torch.
    """
    missing = [s for s in REQUIRED_SCALES if s not in scales]
    if missing:
        raise ValueError(f"chapter {chapter!r} defines no scale {missing[0]!r}; every chapter defines "
                         f"{', '.join(REQUIRED_SCALES)}")
    keys = {name: set(v) for name, v in scales.items()}
    first = keys[REQUIRED_SCALES[0]]
    for name, k in keys.items():
        if k != first:
            raise ValueError(f"scale {name!r} of chapter {chapter!r} has keys {sorted(k)} but scale "
                             f"'small' has {sorted(first)}; give every scale the same settings")
    check_choice("scale", scale, scales)
    dev = resolve_device(device)
    seed_everything(seed)
    root = None
    if data_root not in (None, ""):
        root = Path(data_root).expanduser()
    return Settings(chapter=chapter, scale=scale, device=dev, seed=int(seed), data_root=root,
                    values=MappingProxyType(dict(scales[scale])))


def scales_table(scales: Mapping[str, Mapping[str, Any]], compact: bool = False) -> str:
    """All scales of a chapter as one aligned text table (rows: settings, columns: scales).
    ``compact``: tuples and lists written ``4,8,16`` (no brackets or spaces), so that a wide
    table fits a page line."""
    def cell(v: Any) -> str:
        if compact and isinstance(v, (tuple, list)):
            return ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
        return str(v)
    names = list(scales)
    keys = list(next(iter(scales.values())))
    cells = [["setting", *names]] + [[k, *(cell(scales[n][k]) for n in names)] for k in keys]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)
