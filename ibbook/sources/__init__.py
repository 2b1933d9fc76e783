"""The sources' claims and numbers, one module per source (``s000`` ... ``s004``).

Each module quotes its source's numbers once (tables, accuracies, constants) and lists its
claims (:class:`~ibbook.sources.protocol.Claim`): a stable id, the place in the source, the
claim in our words, the chapter section that tests it, the source's numbers as shown, and the
predicate that grades a chapter's result file under the verdict protocol
(:mod:`ibbook.sources.protocol`). Chapters and :mod:`ibbook.scorecard` import the numbers from
here. :mod:`ibbook.sources.keys` maps claim ids to the text under which a chapter records its
finding.

Used by: ``ibbook.scorecard``, ``chapters/fourier_bias.ipynb``, ``chapters/fourier_masks.ipynb``,
``chapters/intrinsic_dim.ipynb``, ``tests/test_sources.py``.
"""
from __future__ import annotations

from . import keys, protocol, s000, s001, s002, s003, s004
from .protocol import Claim

MODULES = (s000, s001, s002, s003, s004)
#: Source number -> (bibliography key, name).
SOURCES = {m.SOURCE: (m.KEY, m.NAME) for m in MODULES}
#: Every claim, in source order.
CLAIMS: tuple[Claim, ...] = tuple(c for m in MODULES for c in m.CLAIMS)
BY_ID = {c.id: c for c in CLAIMS}
assert len(BY_ID) == len(CLAIMS), "duplicate claim id"

__all__ = ["CLAIMS", "BY_ID", "SOURCES", "Claim", "keys", "protocol",
           "s000", "s001", "s002", "s003", "s004"]
