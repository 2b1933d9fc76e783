"""The tolerant notebook check: nbval's output comparison with numbers compared within a tolerance.

The strict check (``make test``) compares every output of every re-executed chapter with the
committed one, character for character; under the numerical pins (:mod:`ibbook.pins`) that holds
on any x86-64 CPU. Where the pins cannot act (another architecture, e.g. aarch64, or a build of
torch without MKL), ``make test-tolerant`` re-executes every chapter as well (every ``assert``
must pass, every cell must run) but compares outputs this way: the text around the numbers must
be the same (runs of spaces and of table rules are collapsed, since column widths follow the
numbers), and each number must agree with the committed one within ``rtol`` (relative) or
``atol`` (absolute), from ``IBBOOK_NBVAL_RTOL`` (e.g. ``0.1``) and ``IBBOOK_NBVAL_ATOL``
(default ``1e-6``). Images are not compared in either mode (nbval's default).

Both modes compare a number printed with a float's full ``repr`` (12 or more significant digits,
as ``glue`` stores it) at :data:`REPR_DIGITS` significant digits: the digits beyond are round-off
that no chapter reads (:func:`round_long_floats`).

Used by: ``tests/conftest.py`` (installed for every pytest session; the tolerance acts only when
``IBBOOK_NBVAL_RTOL`` is set), ``make test-tolerant``.
"""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict

#: A decimal number as printed by Python, numpy or pandas (sign, digits, fraction, exponent).
NUMBER = re.compile(r"(?<![\w.])[-+−]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
#: A number written with 12 or more significant digits (a float's full repr).
LONG_FLOAT = re.compile(r"(?<![\w.])-?(?:0\.0*[1-9]\d{11,}|[1-9]\d*\.\d{11,})(?:e[-+]?\d+)?")
#: Significant digits at which full float reprs are compared.
REPR_DIGITS = 9
_RULES = re.compile(r"(\s+|-{2,}|─{2,}|={2,})")


def tolerance_from_env(env=None) -> tuple[float, float] | None:
    """``(rtol, atol)`` from ``IBBOOK_NBVAL_RTOL`` / ``IBBOOK_NBVAL_ATOL``, or None when unset."""
    env = os.environ if env is None else env
    raw = env.get("IBBOOK_NBVAL_RTOL", "").strip()
    if not raw:
        return None
    try:
        rtol, atol = float(raw), float(env.get("IBBOOK_NBVAL_ATOL", "1e-6"))
    except ValueError:
        raise ValueError(f"IBBOOK_NBVAL_RTOL={raw!r} / IBBOOK_NBVAL_ATOL={env.get('IBBOOK_NBVAL_ATOL')!r} "
                         "are not accepted; use numbers such as 0.1 and 1e-6") from None
    if not (0 <= rtol < 1 and atol >= 0):
        raise ValueError(f"IBBOOK_NBVAL_RTOL={rtol!r}, IBBOOK_NBVAL_ATOL={atol!r} are not accepted; "
                         "use 0 <= rtol < 1 and atol >= 0")
    return rtol, atol


def split_numbers(text: str) -> tuple[str, list[float]]:
    """The text with every number replaced by ``#`` (spacing and table rules collapsed), and the numbers."""
    numbers = [float(m.replace("−", "-")) for m in NUMBER.findall(text)]
    skeleton = _RULES.sub(lambda m: m.group(0)[0] if not m.group(0).isspace() else " ", NUMBER.sub("#", text))
    return skeleton.strip(), numbers


def close_enough(reference, computed, rtol: float, atol: float) -> bool:
    """Whether ``computed`` matches ``reference``: same text around the numbers, each number within
    ``atol + rtol * |reference|``; non-strings must be equal."""
    if not (isinstance(reference, str) and isinstance(computed, str)):
        return reference == computed
    (ref_text, ref_nums), (new_text, new_nums) = split_numbers(reference), split_numbers(computed)
    if ref_text != new_text or len(ref_nums) != len(new_nums):
        return False
    return all(math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or (math.isnan(a) and math.isnan(b))
               for a, b in zip(ref_nums, new_nums))


def round_long_floats(text: str, digits: int = REPR_DIGITS) -> str:
    """``text`` with every full-repr float (:data:`LONG_FLOAT`) rounded to ``digits`` significant digits."""
    if not isinstance(text, str):
        return text
    return LONG_FLOAT.sub(lambda m: f"{float(m.group(0)):.{digits}g}", text)


def install_repr_rounding() -> None:
    """Make nbval compare full float reprs at :data:`REPR_DIGITS` significant digits (both modes)."""
    from nbval import plugin

    sanitize = plugin.IPyNbCell.sanitize
    if getattr(sanitize, "ibbook_rounding", False):
        return

    def rounded(self, s):
        return round_long_floats(sanitize(self, s))

    rounded.ibbook_rounding = True
    plugin.IPyNbCell.sanitize = rounded


def _flatten(cell, outputs, skip) -> dict[str, list]:
    """nbval's view of a cell's outputs: MIME type (or output key) -> sanitised values."""
    flat: dict[str, list] = defaultdict(list)
    for out in outputs:
        for key, value in out.items():
            if key in skip:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in skip:
                        flat[mime].append(cell.sanitize(data))
            else:
                flat[key].append(cell.sanitize(value))
    return flat


def install_tolerant_compare() -> bool:
    """Patch nbval's comparison with :func:`close_enough` when ``IBBOOK_NBVAL_RTOL`` is set.

    Returns whether it was installed. A cell passes when nbval's strict comparison passes, or
    when every output agrees within the tolerance.
    """
    tol = tolerance_from_env()
    if tol is None:
        return False
    from nbval import plugin

    strict = plugin.IPyNbCell.compare_outputs
    if getattr(strict, "ibbook_tolerant", False):
        return True

    def compare_outputs(self, test, ref, skip_compare=None):
        if strict(self, test, ref, skip_compare):
            return True
        skip = skip_compare or self.parent.skip_compare
        new = _flatten(self, plugin.transform_streams_for_comparison(test), skip)
        old = _flatten(self, plugin.transform_streams_for_comparison(ref), skip)
        if set(new) != set(old) or any(len(new[k]) != len(old[k]) for k in old):
            return False
        if all(close_enough(a, b, *tol) for k in old for a, b in zip(old[k], new[k])):
            self.comparison_traceback = []
            return True
        return False

    compare_outputs.ibbook_tolerant = True
    plugin.IPyNbCell.compare_outputs = compare_outputs
    return True
