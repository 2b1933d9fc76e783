"""Numerical pins: the settings under which a chapter computes the same bits on any x86-64 CPU.

Which kernels torch runs, and so the last bits of every float, depends on the machine: ATen picks
its vectorised kernels by the widest instruction set the CPU has (AVX2 or AVX-512), oneDNN (the
convolutions) does the same, MKL (float64 matrix products, FFTs) takes a vendor- and CPU-specific
code path, and reductions split by the number of threads. Training a network amplifies a
difference in the last bit into different weights after a few hundred steps. :data:`PINS` fixes
all of them to one level every current x86-64 server supports (AVX2) and to two threads; see
``tests/test_pins.py`` for the check that these pins are what make the bits equal, and the
README (*Portable outputs*) for their cost and the machines they cover.

The pins act when the process starts (torch reads them at import), so they are set in the
environment of the process that starts torch: the test command and ``make execute`` export them,
``tests/conftest.py`` sets them before anything imports torch, and :mod:`ibbook.run` /
:mod:`ibbook.reproduce` pass them to the notebook kernels they start. ``IBBOOK_PINS=0`` turns them
off (e.g. on another architecture, with the tolerant check of the README). Numpy's OpenBLAS is not
pinned (its kernel choice is left to the machine, as this workplace asks); chapters print numbers
that pass through it at the precision that means something.

This module imports nothing heavy, so it can run before torch is imported.

Used by: ``Makefile``, ``tests/conftest.py``, :mod:`ibbook.run`, :mod:`ibbook.reproduce`,
:mod:`ibbook.records` (the run record says whether the pins were active).
"""
from __future__ import annotations

import os
import sys
from typing import Mapping, MutableMapping

#: Environment settings that fix the numerical kernels (all read when torch starts).
PINS: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",  # ATen's vectorised CPU kernels: AVX2, not AVX-512
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN convolutions: at most AVX2
    "MKL_CBWR": "AVX2",  # MKL's conditional numerical reproducibility: the AVX2 branch on every CPU
    "OMP_NUM_THREADS": "2",  # torch's intra-op threads (reductions split by thread count)
    "MKL_NUM_THREADS": "2",
}


def enabled(env: Mapping[str, str] | None = None) -> bool:
    """False when ``IBBOOK_PINS`` is ``0``, ``off`` or ``false``; True otherwise."""
    value = (os.environ if env is None else env).get("IBBOOK_PINS", "1").strip().lower()
    if value not in ("0", "1", "off", "on", "false", "true", ""):
        raise ValueError(f"IBBOOK_PINS={value!r} is not accepted; use 1 (pins on, the default) or 0 (off)")
    return value not in ("0", "off", "false")


def pinned_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``env`` (default: this process's environment) with :data:`PINS` set, unless disabled."""
    out = dict(os.environ if env is None else env)
    if enabled(out):
        out.update(PINS)
    return out


def apply(env: MutableMapping[str, str] | None = None) -> bool:
    """Set :data:`PINS` in ``env`` (default ``os.environ``); returns whether they are on.

    Raises RuntimeError when torch is already imported in this process with other settings
    (the pins would not act on it).
    """
    target = os.environ if env is None else env
    if not enabled(target):
        return False
    if target is os.environ and "torch" in sys.modules and any(os.environ.get(k) != v for k, v in PINS.items()):
        raise RuntimeError("ibbook.pins.apply() came after torch was imported; call it first (torch reads "
                           f"{', '.join(PINS)} when it starts)")
    target.update(PINS)
    return True


def active() -> bool:
    """Whether this process runs under :data:`PINS` (its environment holds every one of them)."""
    return all(os.environ.get(k) == v for k, v in PINS.items())


def shell_exports() -> str:
    """``export K=V ...`` for a shell (used by the Makefile), or ``true`` when disabled."""
    if not enabled():
        return "true"
    return "export " + " ".join(f"{k}={v}" for k, v in PINS.items())


if __name__ == "__main__":  # python -m ibbook.pins  -> the export line for the Makefile
    print(shell_exports())
