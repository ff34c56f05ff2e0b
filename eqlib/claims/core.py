"""The judge: how one claim is decided from the values a run measured.

A claim is either **empirical** (a paper's effect, measured) or a **construction** check (true by
how the model is built: exact invariance, an equality of two losses). Both are judged by one rule
applied twice in the same run: to the *subject* (the arm the claim is about) and to a *control*.

For an empirical claim the control is the healthy near miss: the same model, data and budget with
only the claimed mechanism removed, shown to have learned by a *health check* recorded with the
claim. An untrained, diverging or collapsed model, a template that ignores the input, or a
representation whose loss is built to drop the property is never the control; it may stay in the
table as a reference line. The verdict over paired seeds comes from intervals against margins:

- ``holds``: the subject's rule and the contrast (subject minus control, paired per seed) lie past
  their margins; the control fails the rule and passed its health check;
- ``does not hold at this budget``: an interval lies wholly short of its margin (if there is an
  effect, it is smaller than the margin);
- ``inconclusive at this budget``: an interval straddles its margin; the judgement says how many
  paired seeds would decide it at the observed spread;
- ``not tested``: a value was not measured, too few seeds ran, the control did not train, or the
  control passes the rule too (the rule cannot tell the arms apart).

A construction check reads ``checked by construction`` or ``construction check fails`` (or ``not
tested``); it is asserted like a claim but never counted as a paper's claim holding.

Beside every interval of the contrast the judgement prints the design's minimum detectable effect
(paired t-test, 5 % two-sided, 80 % power, at the observed spread) and the claim's effect of
interest, with the seeds it would take to see an effect of that size.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

EMPIRICAL, CONSTRUCTION = "empirical", "construction"
KINDS = (EMPIRICAL, CONSTRUCTION)
HOLDS = "holds"
FAILS = "does not hold at this budget"
INCONCLUSIVE = "inconclusive at this budget"
UNTESTED = "not tested"
CONSTRUCTED = "checked by construction"
BROKEN = "construction check fails"
VERDICTS = {EMPIRICAL: (HOLDS, FAILS, INCONCLUSIVE, UNTESTED), CONSTRUCTION: (CONSTRUCTED, BROKEN, UNTESTED)}
MODES = ("fast", "full")

# where an interval (or a per-seed bound) lies against its margin
PAST, SHORT, STRADDLES = "past", "short", "straddles"

LEVEL, POWER = 0.95, 0.80  # the intervals' level and the power at which the detectable effect is stated
MAX_SEEDS = 1000  # beyond this a count of seeds is reported as "more than"
NOT_APPLICABLE = "not applicable"  # a health_text that starts so explains why a control has nothing to learn

Value = float | Sequence[float]


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


def interval(differences: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of per-seed differences, shape (n,), n >= 2."""
    n = differences.size
    mean = float(differences.mean())
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * differences.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def _smallest_n(fits: Callable[[int], bool]) -> int | None:
    """The smallest number of paired seeds n in 2..MAX_SEEDS for which ``fits(n)``; None if none does."""
    for n in range(2, MAX_SEEDS + 1):
        if fits(n):
            return n
    return None


def detectable_effect(sd: float, n: int, power: float = POWER, level: float = LEVEL) -> float:
    """Minimum detectable effect of a paired design with n seeds and per-seed spread ``sd``.

    Two-sided test at ``1 - level``, given ``power``: ``(t_{1-alpha/2, n-1} + t_{power, n-1}) sd / sqrt(n)``.
    """
    if n < 2:
        return math.inf
    return float((stats.t.ppf(0.5 + level / 2, n - 1) + stats.t.ppf(power, n - 1)) * sd / math.sqrt(n))


def _seeds_text(n: int | None) -> str:
    return f"more than {MAX_SEEDS}" if n is None else f"about {n}"


@dataclass(frozen=True)
class Interval:
    """A paired difference against its margin: ``differences`` per seed, shape (n,).

    ``upward``: the rule asks for ``difference > margin`` (else ``difference < margin``). With one
    seed there is no interval and the single difference is compared with the margin.
    """

    what: str
    differences: tuple[float, ...]
    margin: float
    upward: bool
    fmt: str = ".3f"

    @property
    def n(self) -> int:
        return len(self.differences)

    @property
    def bounds(self) -> tuple[float, float, float]:
        d = np.asarray(self.differences)
        return (float(d[0]),) * 3 if d.size == 1 else interval(d)

    @property
    def sd(self) -> float:
        return float(np.std(self.differences, ddof=1)) if self.n > 1 else 0.0

    @property
    def outcome(self) -> str:
        mean, low, high = self.bounds
        if self.n == 1:
            return PAST if (mean > self.margin if self.upward else mean < self.margin) else SHORT
        if (low > self.margin) if self.upward else (high < self.margin):
            return PAST
        if (high <= self.margin) if self.upward else (low >= self.margin):
            return SHORT
        return STRADDLES

    @property
    def leaning_past(self) -> bool:
        """Whether the observed mean lies on the passing side of the margin."""
        mean = float(np.mean(self.differences))
        return mean > self.margin if self.upward else mean < self.margin

    def seeds_to_decide(self) -> int | None:
        """Paired seeds at which an effect of the observed distance from the margin is detected with 80 % power
        (5 % two-sided) at the observed spread: where the interval would most likely clear the margin, on the side
        the mean lies (``leaning_past``). None when the mean sits on the margin."""
        gap = abs(float(np.mean(self.differences)) - self.margin)
        if gap == 0:
            return None
        return _smallest_n(lambda n: detectable_effect(self.sd, n) <= gap)

    def seeds_to_detect(self, effect: float) -> int | None:
        """Paired seeds whose minimum detectable effect (beyond the margin) at the observed spread is at most
        ``effect``."""
        return _smallest_n(lambda n: detectable_effect(self.sd, n) <= effect)

    @property
    def text(self) -> str:
        f, need = self.fmt, ">" if self.upward else "<"
        mean, low, high = self.bounds
        if self.n == 1:
            return f"{self.what}: {mean:{f}} (1 seed, no interval), needs {need} {self.margin:g}"
        end = "lower" if self.upward else "upper"
        return (
            f"{self.what}: {mean:{f}}, 95% interval [{low:{f}}, {high:{f}}] over {self.n} paired seeds, "
            f"needs its {end} end {need} {self.margin:g}"
        )


@dataclass(frozen=True)
class Decision:
    """What a rule decided: ``outcome`` (past / short of / straddling the margin), the numbers in words,
    and the paired intervals it was decided on (empty for per-seed bounds)."""

    outcome: str
    text: str
    intervals: tuple[Interval, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.outcome not in (PAST, SHORT, STRADDLES):
            raise ValueError(f"a decision's outcome is one of {(PAST, SHORT, STRADDLES)}, got {self.outcome!r}")

    @property
    def passed(self) -> bool:
        return self.outcome == PAST


def _paired(a: Measure, b: Measure, what: str) -> tuple[float, ...]:
    """``a - b`` per seed; ``a`` and ``b`` hold the same seeds in the same order."""
    if len(a) != len(b):
        raise ValueError(f"paired arms need the same seeds; got {len(a)} and {len(b)} values for {what}")
    return tuple(float(x) for x in a.values - b.values)


def _from_interval(part: Interval) -> Decision:
    return Decision(part.outcome, part.text, (part,))


def exceeds(a: Measure, b: Measure, margin: float, what: str, fmt: str = ".3f") -> Decision:
    """Is ``a - b > margin``? Over paired seeds: where the 95 % interval of a - b lies against the margin.

    ``a`` and ``b`` hold the same seeds in the same order (one value each with a single seed).
    """
    return _from_interval(Interval(what, _paired(a, b, what), margin, True, fmt))


def within(a: Measure, b: Measure, tolerance: float, what: str, fmt: str = ".2f") -> Decision:
    """Is ``a - b < tolerance``? The one-sided counterpart of ``exceeds`` (upper end of the interval)."""
    return _from_interval(Interval(what, _paired(a, b, what), tolerance, False, fmt))


def _per_seed(a: Measure, ok: np.ndarray, worst: float, bound: float, what: str, need: str, fmt: str) -> Decision:
    failing = int(ok.size - ok.sum())
    shown = f"{a:{fmt}}" if len(a) == 1 else f"{a:{fmt}} (worst of {len(a)} seeds {worst:{fmt}})"
    count = "" if len(a) == 1 or failing in (0, ok.size) else f", fails on {failing} of {len(a)} seeds"
    return Decision(PAST if failing == 0 else SHORT, f"{what}: {shown}, needs {need} {bound:.3g}{count}")


def below(a: Measure, bound: float, what: str, fmt: str = ".3g") -> Decision:
    """Is ``a < bound`` on every seed? A rule on every seed fails with its first failing seed (more seeds
    cannot make it pass), so it is past or short, never undecided."""
    return _per_seed(a, a.values < bound, float(a.values.max()), bound, what, "<", fmt)


def above(a: Measure, bound: float, what: str, fmt: str = ".3g") -> Decision:
    """Is ``a > bound`` on every seed? Past when every seed passes, short otherwise (see ``below``)."""
    return _per_seed(a, a.values > bound, float(a.values.min()), bound, what, ">", fmt)


def all_of(*decisions: Decision) -> Decision:
    """Past when every part is past, short when any part is short, straddling otherwise."""
    outcomes = {d.outcome for d in decisions}
    outcome = PAST if outcomes == {PAST} else SHORT if SHORT in outcomes else STRADDLES
    return Decision(outcome, "; ".join(d.text for d in decisions), tuple(i for d in decisions for i in d.intervals))


Rule = Callable[[Mapping[str, Measure], str], Decision]
Contrast = Callable[[Mapping[str, Measure]], Decision]


@dataclass(frozen=True)
class Effect:
    """The effect of interest of an empirical claim, in the units of its contrast, and where it comes from."""

    size: float
    source: str
    parts: int | None = None  # the effect applies to the contrast's first ``parts`` intervals (None: all of them)

    def __post_init__(self) -> None:
        if not self.size > 0 or not self.source:
            raise ValueError(f"an effect of interest is a positive size with its source, got {self}")
        if self.parts is not None and self.parts < 1:
            raise ValueError(f"an effect applies to at least one interval of the contrast, got parts={self.parts}")


@dataclass(frozen=True)
class Claim:
    """One claim of a paper (``kind="empirical"``) or one construction check, as this suite tests it.

    ``key``: ``"NN.name"``. ``statement``: what the paper says. ``paper``: its number and source, or ``""``.
    ``rule``: the decision rule in words, with its thresholds. ``test``: that rule, applied to the arm whose
    values are prefixed ``<arm>_``. ``subject`` / ``control``: the prefixes of the two arms; ``subject_text`` /
    ``control_text`` say what they are. ``references``: prefixes of other arms the rule or table reads (reference
    lines such as an untrained network; never the control). ``suite``: a ``str.format`` template over the
    recorded values for the table. ``quantities``: every value the rule reads, each ``<arm>_<quantity>``.
    ``seeds``: paired seeds per mode. ``expected``: the verdict recorded for each mode. ``why``: the reading of a
    verdict other than ``holds`` / ``checked by construction``. ``departures``: where the measurement departs
    from the paper. ``tested_in_fast``: False where a fast run is too short for the claim (its verdict there is
    ``not tested`` whatever the numbers; the numbers are still regression-checked).

    Over several seeds a claim has a ``contrast``: subject minus control, paired per seed, built from
    ``exceeds`` / ``within`` (the passing of one arm and failing of the other is no evidence of a difference
    between them). An empirical claim has a ``health`` check of its control (it learned) and an ``effect`` of
    interest, against which the design's minimum detectable effect is printed. ``control_flaw`` says why the
    control on the page is no near miss (it cannot show the property by design, it is untrained, it diverges);
    such a claim is ``not tested`` until a near miss is measured.
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
    kind: str = EMPIRICAL
    references: tuple[str, ...] = ()
    why: str = ""
    departures: str = ""
    tested_in_fast: bool = True
    contrast: Contrast | None = None
    health: Contrast | None = None
    health_text: str = ""
    effect: Effect | None = None
    control_flaw: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: kind is one of {KINDS}, got {self.kind!r}")
        allowed = VERDICTS[self.kind]
        if set(self.expected) != set(MODES) or not set(self.expected.values()) <= set(allowed):
            raise ValueError(f"{self.key}: expected verdicts for {MODES} from {allowed}, got {self.expected}")
        if not self.tested_in_fast and self.expected["fast"] != UNTESTED:
            raise ValueError(f"{self.key}: a claim a fast run cannot test expects {UNTESTED!r} in fast mode")
        if set(self.seeds) != set(MODES) or min(self.seeds.values()) < 1:
            raise ValueError(f"{self.key}: seeds per mode {MODES}, at least 1, got {self.seeds}")
        if max(self.seeds.values()) > 1 and self.contrast is None:
            raise ValueError(f"{self.key}: a claim over paired seeds needs a contrast (subject minus control)")
        if self.kind == EMPIRICAL and self.effect is None:
            raise ValueError(f"{self.key}: an empirical claim states its effect of interest")
        exempt = self.control_flaw or self.health_text.startswith(NOT_APPLICABLE)
        if self.kind == EMPIRICAL and not exempt and (self.health is None or not self.health_text):
            raise ValueError(
                f"{self.key}: an empirical claim needs a health check of its control (or a control_flaw saying why "
                f"the control on the page is no near miss, or a health_text starting {NOT_APPLICABLE!r})"
            )
        arms = (self.subject, self.control, *self.references)
        unnamed = [q for q in self.quantities if not any(q.startswith(f"{arm}_") for arm in arms)]
        if unnamed:
            raise ValueError(f"{self.key}: quantities are named <arm>_<quantity> for the arms {arms}: {unnamed}")
        missing = template_fields(self.suite) - set(self.quantities)
        if missing:
            raise ValueError(f"{self.key}: the table names values that are not quantities: {sorted(missing)}")


def template_fields(template: str) -> set[str]:
    """The field names of a ``str.format`` template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict in one run: the subject's, control's, health and contrast decisions, and why.

    ``evidence``: whether the contrast and its power speak to the claim (False where the control is no near
    miss or did not train: they are then shown for reference only). ``mode``: the run's mode.
    """

    claim: Claim
    verdict: str
    subject: Decision | None
    control: Decision | None
    seeds: int
    reason: str = ""
    health: Decision | None = None
    contrast: Decision | None = None
    evidence: bool = True
    mode: str = "full"

    def power_lines(self) -> list[str]:
        """Per interval of the contrast, and per undecided interval of the subject's rule: the design's minimum
        detectable effect beyond the margin (paired, 5 % two-sided, 80 % power, at the observed spread), beside
        the effect of interest where it applies, with the seeds an effect of that size would take."""
        effect = self.claim.effect
        if effect is None or self.contrast is None or not self.evidence:
            return []
        contrast = list(self.contrast.intervals)
        applies = contrast[: effect.parts] if effect.parts else contrast
        undecided = [i for i in self.subject.intervals if i.outcome == STRADDLES] if self.subject else []
        out = []
        for part in contrast + [i for i in undecided if i not in contrast]:
            if part.n < 2:
                out.append(f"  power ({part.what}): one seed, no interval")
                continue
            mde = detectable_effect(part.sd, part.n)
            line = (
                f"  power ({part.what}): detects {mde:{part.fmt}} beyond the margin (paired, 5% two-sided, 80% power, "
                f"{part.n} seeds at the observed spread)"
            )
            if part in applies:
                line += f"; effect of interest {effect.size:g} ({effect.source})"
                if mde > effect.size and self.verdict != HOLDS:
                    line += (
                        f"; an effect that small needs {_seeds_text(part.seeds_to_detect(effect.size))} paired seeds"
                    )
            out.append(line)
        return out

    def lines(self) -> list[str]:
        """The judgement in words, as a check cell prints it."""
        c = self.claim
        kind = "" if c.kind == EMPIRICAL else " [construction check: true by how the model is built]"
        out = [f"{c.key} · {c.statement}{kind}", f"  rule: {c.rule}"]
        if self.subject is None or self.control is None:
            out.append("  not measured in this run")
        else:
            role = "control" if c.kind == EMPIRICAL else "reference"
            out.append(f"  claim   ({c.subject_text}): {_word(self.subject)}. {self.subject.text}")
            out.append(f"  {role:<7} ({c.control_text}): {_word(self.control)}. {self.control.text}")
            if self.health is not None:
                out.append(f"  health of the control ({c.health_text}): {_word(self.health)}. {self.health.text}")
            if self.contrast is not None:
                label = (
                    "contrast (subject - control)" if self.evidence else "contrast (for reference only: no evidence)"
                )
                out.append(f"  {label}: {_word(self.contrast)}. {self.contrast.text}")
            out.extend(self.power_lines())
        if c.departures:
            out.append(f"  departs from the paper: {c.departures}")
        out.append(f"verdict {c.key}: {self.verdict}" + (f" ({self.reason})" if self.reason else ""))
        if (
            c.why
            and self.mode == "full"
            and self.verdict == c.expected["full"]
            and self.verdict not in (HOLDS, CONSTRUCTED)
        ):
            out.append(f"  reading: {c.why}")
        return out


def _word(decision: Decision) -> str:
    return {PAST: "passes", SHORT: "fails", STRADDLES: "undecided"}[decision.outcome]


def measures(values: Mapping[str, Value]) -> dict[str, Measure]:
    """Each recorded value as a ``Measure``."""
    return {name: Measure(value) for name, value in values.items()}


def judge(claim: Claim, values: Mapping[str, Value], mode: str = "full") -> Judgement:
    """Apply the claim's rule to its subject and control, check the control's health, and give the verdict.

    ``mode``: ``"fast"`` or ``"full"``, the mode of the run that measured ``values``. The reasons for ``not
    tested`` are tried in this order: a value missing or not measured, a control named as no near miss, a fast
    run too short for the claim, too few seeds, a control that did not train, a control that passes the rule.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if any(name not in values for name in claim.quantities):
        return Judgement(claim, UNTESTED, None, None, 0, "a quantity was not recorded", mode=mode)
    v = measures({name: values[name] for name in claim.quantities})
    if any(not np.isfinite(m.values).all() for m in v.values()):
        return Judgement(claim, UNTESTED, None, None, 0, "a quantity was not measured in this run", mode=mode)
    seeds = max(len(m) for m in v.values())
    subject, control = claim.test(v, claim.subject), claim.test(v, claim.control)
    health = claim.health(v) if claim.health is not None else None
    contrast = claim.contrast(v) if claim.contrast is not None else None
    if contrast is not None and not contrast.intervals:
        raise ValueError(f"{claim.key}: a contrast is built from exceeds / within (paired intervals)")

    def verdict(word: str, reason: str = "", evidence: bool = True) -> Judgement:
        return Judgement(claim, word, subject, control, seeds, reason, health, contrast, evidence, mode)

    if claim.control_flaw:
        return verdict(UNTESTED, f"no near-miss control measured: {claim.control_flaw}", evidence=False)
    if mode == "fast" and not claim.tested_in_fast:
        return verdict(UNTESTED, "a fast run is too short for this claim")
    if max(claim.seeds.values()) > 1 and seeds < 2:
        return verdict(UNTESTED, "one seed: the rule needs paired seeds")
    if seeds < claim.seeds[mode]:
        return verdict(UNTESTED, f"{seeds} of the {claim.seeds[mode]} seeds it needs")
    if health is not None and health.outcome == SHORT:
        return verdict(UNTESTED, "the control did not train: it fails its health check", evidence=False)
    if health is not None and health.outcome == STRADDLES:
        return verdict(UNTESTED, "the control's health is not established: its check straddles its margin", False)
    if control.passed:
        return verdict(UNTESTED, "the control passes the same rule, so the rule cannot tell the arms apart", False)
    overall = subject if contrast is None else all_of(subject, contrast)
    if claim.kind == CONSTRUCTION:
        return verdict(CONSTRUCTED if overall.passed else BROKEN)
    if overall.outcome == SHORT:
        short = "the subject fails its rule" if subject.outcome == SHORT else "the contrast lies short of its margin"
        return verdict(FAILS, short)
    if overall.outcome == PAST and control.outcome == SHORT:
        return verdict(HOLDS, _holds_reason(claim))
    if overall.outcome == PAST:
        return verdict(INCONCLUSIVE, "the control's own result straddles the rule's margin: " + _straddles(control))
    return verdict(INCONCLUSIVE, "an interval straddles its margin: " + _straddles(overall))


def _holds_reason(claim: Claim) -> str:
    if claim.contrast is None:
        return "the subject passes and its healthy control fails"
    return "past the margin against a healthy control that fails the rule"


def _straddles(decision: Decision) -> str:
    parts = [i for i in decision.intervals if i.outcome == STRADDLES]
    said = []
    for part in parts:
        n, side = part.seeds_to_decide(), "pass" if part.leaning_past else "fail"
        said.append(
            f"{part.what} leans to {side}; {_seeds_text(n)} paired seeds at the observed spread would decide it"
        )
    return "; ".join(said)
