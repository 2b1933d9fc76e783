"""The numerical pins (ibbook.pins) are what make a heavy computation give the same bits whatever
dispatch the machine would choose: under the pins, adding the choices another CPU would make
(an AVX2-only CPU: ATen, oneDNN and MKL capped at AVX2; MKL's Intel code path) changes nothing;
without the pins, the same change of dispatch changes the bits."""
import functools
import os
import subprocess
import sys

import pytest

from ibbook import pins

# The heavy cells of a chapter in miniature: SGD steps of ResNet-20 (convolutions, batch norm,
# backward, in both memory layouts), a float64 matrix product and SVD, an FFT.
HEAVY = r"""
import hashlib, torch
from ibbook.models import build_model
torch.manual_seed(0)
h = hashlib.sha256()
for layout in (torch.contiguous_format, torch.channels_last):
    m = build_model("resnet20").to(memory_format=layout)
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x = torch.rand(16, 3, 32, 32).contiguous(memory_format=layout)
    y = torch.randint(0, 10, (16,))
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(m(x), y)
        opt.zero_grad(); loss.backward(); opt.step()
    for p in m.parameters():
        h.update(p.detach().contiguous().numpy().tobytes())
a = torch.randn(300, 200, dtype=torch.float64)
h.update((a @ a.T).numpy().tobytes())
h.update(torch.linalg.svdvals(a).numpy().tobytes())
h.update(torch.fft.fft2(torch.randn(64, 64)).abs().numpy().tobytes())
print(h.hexdigest())
"""

# What an AVX2-only CPU would choose by itself (ATen and oneDNN at most AVX2), plus MKL forced
# onto other code paths than it takes here (its instruction cap and its Intel branch).
OTHER_MACHINE = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                 "MKL_ENABLE_INSTRUCTIONS": "AVX2", "MKL_DEBUG_CPU_TYPE": "5"}
UNPINNED = (*pins.PINS, "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE", "IBBOOK_PINS")


@functools.lru_cache(maxsize=None)
def _digest(extra: tuple, pinned: bool) -> str:
    env_extra = dict(extra)
    env = {k: v for k, v in os.environ.items() if k not in UNPINNED}
    env.update(env_extra)
    if pinned:
        env.update(pins.PINS)  # the pins win over the machine's choices they cap
        env.update({k: v for k, v in env_extra.items() if k not in pins.PINS})
    out = subprocess.run([sys.executable, "-c", HEAVY], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def _native_capability() -> str:
    env = {k: v for k, v in os.environ.items() if k not in UNPINNED}
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip()


def test_pins_make_bits_independent_of_dispatch():
    pinned_here = _digest((), pinned=True)
    pinned_other = _digest(tuple(OTHER_MACHINE.items()), pinned=True)
    assert pinned_here == pinned_other


def test_without_pins_dispatch_changes_bits():
    if _native_capability() != "AVX512":
        pytest.skip("this CPU has no AVX-512: its own dispatch is already the pinned one")
    assert _digest((), pinned=False) != _digest(tuple(OTHER_MACHINE.items()), pinned=False)


def test_pinned_run_is_repeatable():
    assert _digest((), pinned=True) == _digest((("IBBOOK_RUN", "again"),), pinned=True)


def test_pins_settings_and_errors(monkeypatch):
    env = {"IBBOOK_PINS": "0"}
    assert pins.pinned_env(env) == env and not pins.apply(env)
    env = {}
    assert pins.apply(env) and all(env[k] == v for k, v in pins.PINS.items())
    with pytest.raises(ValueError, match="IBBOOK_PINS='maybe'"):
        pins.enabled({"IBBOOK_PINS": "maybe"})
    monkeypatch.setenv("IBBOOK_PINS", "0")
    assert pins.shell_exports() == "true"
    monkeypatch.setenv("IBBOOK_PINS", "1")
    assert pins.shell_exports().startswith("export ATEN_CPU_CAPABILITY=avx2")
