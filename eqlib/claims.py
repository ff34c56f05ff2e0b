"""The suite's claims, each defined once: statement, rule, control, seeds and expected verdicts.

A claim is judged by one rule applied twice in the same run: to the *subject* (the model the
paper is about) and to a *control* (the fair counterfactual: the same model with its key
mechanism switched off, an untrained model, the other representation). The verdict is

- ``holds`` when the subject passes the rule and the control does not;
- ``does not hold at this budget`` when neither passes;
- ``not tested`` when the control passes too (the rule cannot tell them apart), a quantity
  the rule needs was not measured, or a claim whose rule needs paired seeds ran with one.

A rule returns a ``Decision``: whether it passed and the numbers it was decided on. Rules that
compare two arms over several paired seeds decide on the Student-t 95 % interval of the
per-seed differences; with a single seed they compare the two numbers and say so.

Every notebook's check cell calls ``check`` and its results record (``eqlib.results``) is judged
by ``judge``: the verdict printed in the notebook and the one in the README table are the same
call on the same values. Each claim records the verdict expected in fast and in full mode;
under the tests and ``make execute`` (``EQLIB_STRICT_VERDICTS=1``) ``check`` raises
``VerdictChanged`` when a run disagrees, so a claim that stops (or starts) holding fails until
its record is changed on purpose.
"""

from __future__ import annotations

import math
import os
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

HOLDS = "holds"
FAILS = "does not hold at this budget"
UNTESTED = "not tested"
VERDICTS = (HOLDS, FAILS, UNTESTED)
MODES = ("fast", "full")

Value = float | Sequence[float]


class VerdictChanged(AssertionError):
    """A run's verdict differs from the one recorded for its mode in ``CLAIMS``."""


class Measure:
    """One measured quantity over one or more seeds; formats as ``mean`` or ``mean ± sd``."""

    def __init__(self, value: Value):
        array = np.atleast_1d(np.asarray(value, dtype=float))
        if array.ndim != 1 or array.size == 0:
            raise ValueError(f"a measured value is a number or a list of per-seed numbers, got {value!r}")
        self.values = array

    @property
    def mean(self) -> float:
        return float(self.values.mean())

    @property
    def sd(self) -> float:
        """Seed-to-seed standard deviation (0 for a single seed)."""
        return float(self.values.std(ddof=1)) if self.values.size > 1 else 0.0

    def __len__(self) -> int:
        return self.values.size

    def __format__(self, spec: str) -> str:
        if self.values.size == 1:
            return format(self.mean, spec)
        return f"{format(self.mean, spec)} ± {format(self.sd, spec)}"


@dataclass(frozen=True)
class Decision:
    """What a rule decided on one arm: ``passed`` and the numbers it looked at, in words."""

    passed: bool
    text: str


def interval(differences: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of per-seed differences, shape (n,), n >= 2."""
    n = differences.size
    mean = float(differences.mean())
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * differences.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _paired_differences(a: Measure, b: Measure, what: str) -> np.ndarray:
    """``a - b`` per seed; ``a`` and ``b`` hold the same seeds in the same order."""
    if len(a) != len(b):
        raise ValueError(f"paired arms need the same seeds; got {len(a)} and {len(b)} values for {what}")
    return a.values - b.values


def exceeds(a: Measure, b: Measure, margin: float, what: str, fmt: str = ".3f") -> Decision:
    """Is ``a - b > margin``? Over paired seeds: the lower end of the 95 % interval of a - b.

    ``a`` and ``b`` hold the same seeds in the same order (one value each with a single seed).
    """
    differences = _paired_differences(a, b, what)
    if differences.size == 1:
        d = float(differences[0])
        return Decision(d > margin, f"{what}: {d:{fmt}} (1 seed, no interval), needs > {margin:g}")
    mean, low, high = interval(differences)
    return Decision(
        low > margin,
        f"{what}: {mean:{fmt}}, 95% interval [{low:{fmt}}, {high:{fmt}}] over {differences.size} paired seeds, "
        f"needs its lower end > {margin:g}",
    )


def within(a: Measure, b: Measure, tolerance: float, what: str, fmt: str = ".2f") -> Decision:
    """Is ``a - b < tolerance``? Over paired seeds: the upper end of the 95 % interval of a - b.

    The one-sided counterpart of ``exceeds``: ``a`` may be far below ``b``, never far above.
    """
    differences = _paired_differences(a, b, what)
    if differences.size == 1:
        d = float(differences[0])
        return Decision(d < tolerance, f"{what}: {d:{fmt}} (1 seed, no interval), needs < {tolerance:g}")
    mean, low, high = interval(differences)
    return Decision(
        high < tolerance,
        f"{what}: {mean:{fmt}}, 95% interval [{low:{fmt}}, {high:{fmt}}] over {differences.size} paired seeds, "
        f"needs its upper end < {tolerance:g}",
    )


def _worst(a: Measure, worst: float, fmt: str) -> str:
    return f"{a:{fmt}}" if len(a) == 1 else f"{a:{fmt}} (worst of {len(a)} seeds {worst:{fmt}})"


def below(a: Measure, bound: float, what: str, fmt: str = ".3g") -> Decision:
    """Is ``a < bound`` for every seed (the worst seed decides)?"""
    worst = float(a.values.max())
    return Decision(worst < bound, f"{what}: {_worst(a, worst, fmt)}, needs < {bound:.3g}")


def above(a: Measure, bound: float, what: str, fmt: str = ".3g") -> Decision:
    """Is ``a > bound`` for every seed (the worst seed decides)?"""
    worst = float(a.values.min())
    return Decision(worst > bound, f"{what}: {_worst(a, worst, fmt)}, needs > {bound:.3g}")


def all_of(*decisions: Decision) -> Decision:
    """Passes when every part passes; the text lists every part."""
    return Decision(all(d.passed for d in decisions), "; ".join(d.text for d in decisions))


Rule = Callable[[Mapping[str, Measure], str], Decision]


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, as this suite tests it.

    ``key``: ``"NN.name"``. ``statement``: what the paper says. ``paper``: its number and source, or
    ``""``. ``rule``: the decision rule in words, with its thresholds. ``test``: that rule, applied
    to the arm whose values are prefixed ``<arm>_``. ``subject`` / ``control``: the prefixes of the
    two arms; ``subject_text`` / ``control_text`` say what they are. ``suite``: a ``str.format`` template over
    the recorded values for the table. ``quantities``: every value the rule reads. ``seeds``: how
    many paired seeds each mode runs. ``expected``: the verdict recorded for each mode; ``why``
    says why where a verdict is not ``holds``. ``departures``: where the measurement departs from
    the paper. ``tested_in_fast``: False where a fast run is too short for the claim, so its
    verdict there is ``not tested`` whatever the numbers (which are still printed).
    ``contrast``: for claims over paired seeds, the direct comparison of subject and control
    (subject minus control over the paired seeds); "the subject passes and the control does not"
    is not evidence of a difference between them, so ``holds`` also needs this to pass.
    """

    key: str
    statement: str
    paper: str
    rule: str
    test: Rule
    subject: str
    subject_text: str
    control: str
    control_text: str
    suite: str
    quantities: tuple[str, ...]
    seeds: Mapping[str, int]
    expected: Mapping[str, str]
    why: str = ""
    departures: str = ""
    tested_in_fast: bool = True
    contrast: Callable[[Mapping[str, Measure]], Decision] | None = None

    def __post_init__(self) -> None:
        if set(self.expected) != set(MODES) or not set(self.expected.values()) <= set(VERDICTS):
            raise ValueError(f"{self.key}: expected verdicts for {MODES} from {VERDICTS}, got {self.expected}")
        if not self.tested_in_fast and self.expected["fast"] != UNTESTED:
            raise ValueError(f"{self.key}: a claim a fast run cannot test expects {UNTESTED!r} in fast mode")
        if set(self.seeds) != set(MODES) or min(self.seeds.values()) < 1:
            raise ValueError(f"{self.key}: seeds per mode {MODES}, at least 1, got {self.seeds}")
        missing = template_fields(self.suite) - set(self.quantities)
        if missing:
            raise ValueError(f"{self.key}: the table names values that are not quantities: {sorted(missing)}")


def template_fields(template: str) -> set[str]:
    """The field names of a ``str.format`` template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict in one run, with the subject's and the control's decisions."""

    claim: Claim
    verdict: str
    subject: Decision | None
    control: Decision | None
    seeds: int
    reason: str = ""

    def lines(self) -> list[str]:
        c = self.claim
        out = [f"{c.key} · {c.statement}", f"  rule: {c.rule}"]
        if self.subject is None or self.control is None:
            out.append("  not measured in this run")
        else:
            out.append(
                f"  claim   ({c.subject_text}): {'passes' if self.subject.passed else 'fails'}. {self.subject.text}"
            )
            out.append(
                f"  control ({c.control_text}): {'passes' if self.control.passed else 'fails'}. {self.control.text}"
            )
        out.append(f"verdict {c.key}: {self.verdict}" + (f" ({self.reason})" if self.reason else ""))
        return out


def measures(values: Mapping[str, Value]) -> dict[str, Measure]:
    """Each recorded value as a ``Measure``."""
    return {name: Measure(value) for name, value in values.items()}


def judge(claim: Claim, values: Mapping[str, Value], mode: str = "full") -> Judgement:
    """Apply the claim's rule to its subject and its control, and give the three-valued verdict.

    ``mode``: ``"fast"`` or ``"full"``, the mode of the run that measured ``values``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if any(name not in values for name in claim.quantities):
        return Judgement(claim, UNTESTED, None, None, 0, "a quantity was not recorded")
    v = measures({name: values[name] for name in claim.quantities})
    if any(not np.isfinite(m.values).all() for m in v.values()):
        return Judgement(claim, UNTESTED, None, None, 0, "a quantity was not measured in this run")
    seeds = max(len(m) for m in v.values())
    subject, control = claim.test(v, claim.subject), claim.test(v, claim.control)
    if mode == "fast" and not claim.tested_in_fast:
        return Judgement(claim, UNTESTED, subject, control, seeds, "a fast run is too short for this claim")
    if claim.seeds["full"] > 1 and seeds < 2:
        return Judgement(claim, UNTESTED, subject, control, seeds, "one seed: the rule needs paired seeds")
    if seeds < claim.seeds[mode]:
        return Judgement(claim, UNTESTED, subject, control, seeds, f"{seeds} of the {claim.seeds[mode]} seeds it needs")
    if control.passed:
        return Judgement(claim, UNTESTED, subject, control, seeds, "the control passes the same rule")
    if not subject.passed:
        return Judgement(claim, FAILS, subject, control, seeds)
    if claim.contrast is not None:
        versus = claim.contrast(v)
        if not versus.passed:
            reason = f"subject and control are not told apart: {versus.text}"
            return Judgement(claim, UNTESTED, subject, control, seeds, reason)
        return Judgement(claim, HOLDS, subject, control, seeds, f"and against the control, {versus.text}")
    return Judgement(claim, HOLDS, subject, control, seeds)


def check(key: str, values: Mapping[str, Value], *, fast: bool, strict: bool | None = None) -> Judgement:
    """A notebook's check of one claim: print the judgement and compare it with the recorded one.

    ``values``: at least the claim's ``quantities``, each a number or a list of per-seed numbers.
    ``strict`` (default: ``EQLIB_STRICT_VERDICTS=1``, which the tests and ``make execute`` set):
    raise ``VerdictChanged`` when the verdict differs from ``CLAIMS``' record for this mode.
    Otherwise (a reader's own run, with another seed, device or budget) the difference is printed.
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
                f"{message} If the change is real, update its record in eqlib/claims_registry.py and say why in "
                "the notebook."
            )
        print(f"note: {message} Another seed, device or budget can move a verdict.")
    return judgement


def claim_named(key: str) -> Claim:
    """The claim with this key; a ``ValueError`` lists the known ones otherwise."""
    from eqlib.claims_registry import CLAIMS

    for claims in CLAIMS.values():
        for claim in claims:
            if claim.key == key:
                return claim
    known = [c.key for claims in CLAIMS.values() for c in claims]
    raise ValueError(f"no claim {key!r}; the claims are {known}")
