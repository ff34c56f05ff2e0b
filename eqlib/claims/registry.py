"""Every notebook's claims gathered in one place, and the check a notebook's cell calls.

Each notebook's claims live in their own module (``nb01`` ... ``nb08``); this module reads them
all, so the judge (``core``) never imports a registry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from eqlib.claims import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08
from eqlib.claims.core import Claim, Judgement, Value, judge

_MODULES = {module.NOTEBOOK: module for module in (nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08)}
CLAIMS: dict[str, tuple[Claim, ...]] = {notebook: module.CLAIMS for notebook, module in _MODULES.items()}

# A fast run is deterministic on a CPU for a fixed seed: its values are compared with the committed ones within
# this tolerance (numpy.isclose), unless a notebook's module states another for a quantity (FAST_TOLERANCES; None:
# not compared, e.g. wall-clock times). A different BLAS path on another CPU moves results by rounding, which
# training amplifies a little; a change to a model, loss, data or seed moves them far more.
FAST_TOLERANCE = {"rtol": 1e-3, "atol": 1e-3}


def fast_tolerances(notebook: str) -> dict[str, dict[str, float] | None]:
    """Per quantity of a notebook, its tolerance in the fast-run regression check (None: not compared)."""
    overrides = _MODULES[notebook].FAST_TOLERANCES
    quantities = {name for claim in CLAIMS[notebook] for name in claim.quantities}
    unknown = set(overrides) - quantities
    if unknown:
        raise ValueError(f"notebook {notebook}: tolerances for quantities it does not record: {sorted(unknown)}")
    return {name: overrides.get(name, FAST_TOLERANCE) for name in sorted(quantities)}


def fast_unmeasured(notebook: str) -> dict[str, str]:
    """Quantities a fast run of this notebook does not measure (NaN allowed there), each with the reason."""
    return dict(_MODULES[notebook].FAST_UNMEASURED)


class VerdictChanged(AssertionError):
    """A run's verdict differs from the one recorded for its mode in ``CLAIMS``."""


def claim_named(key: str) -> Claim:
    """The claim with this key; a ``ValueError`` lists the known ones otherwise."""
    for claims in CLAIMS.values():
        for claim in claims:
            if claim.key == key:
                return claim
    known = [c.key for claims in CLAIMS.values() for c in claims]
    raise ValueError(f"no claim {key!r}; the claims are {known}")


def check(key: str, values: Mapping[str, Value], *, fast: bool, strict: bool | None = None) -> Judgement:
    """A notebook's check of one claim: print the judgement and compare it with the recorded one.

    ``values``: at least the claim's ``quantities``, each a number or a list of per-seed numbers.
    ``strict`` (default: ``EQLIB_STRICT_VERDICTS=1``, which the tests and ``make execute`` set):
    raise ``VerdictChanged`` when the verdict differs from the record for this mode. Otherwise (a
    reader's own run, with another seed, device or budget) the difference is printed.
    """
    claim = claim_named(key)
    missing = [name for name in claim.quantities if name not in values]
    if missing:
        raise ValueError(f"claim {key} needs the values {list(claim.quantities)}; missing {missing}")
    mode = "fast" if fast else "full"
    judgement = judge(claim, values, mode)
    print("\n".join(judgement.lines()))
    expected = claim.expected[mode]
    if strict is None:
        strict = os.environ.get("EQLIB_STRICT_VERDICTS") == "1"
    if judgement.verdict != expected:
        message = (
            f"claim {key}: this {mode}-mode run says {judgement.verdict!r}, the record for {mode} mode says "
            f"{expected!r}."
        )
        if strict:
            raise VerdictChanged(
                f"{message} If the change is real, update its record in eqlib/claims/nb{key[:2]}.py and say why in "
                "the notebook."
            )
        print(f"note: {message} Another seed, device or budget can move a verdict.")
    return judgement
