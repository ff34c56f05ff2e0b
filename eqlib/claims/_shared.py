"""Small helpers shared by the notebooks' claim modules."""

from __future__ import annotations

import numpy as np

from eqlib.claims.core import Measure

ONE_SEED = {"fast": 1, "full": 1}


def abs_gap(a: Measure, b: Measure) -> Measure:
    """``|a - b|`` per seed."""
    return Measure(np.abs(a.values - b.values))


def difference(a: Measure, b: Measure) -> Measure:
    """``a - b`` per seed."""
    return Measure(a.values - b.values)


def zeros_like(a: Measure) -> Measure:
    """A reference arm of zeros, paired with ``a``: ``exceeds(a, zeros_like(a), 0)`` asks whether ``a > 0``."""
    return Measure(np.zeros_like(a.values))
