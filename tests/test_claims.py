"""The claim machinery: rules, paired intervals, the three verdicts, and the check that guards them."""

import math

import numpy as np
import pytest
from scipy import stats

from eqlib.claims import (
    FAILS,
    HOLDS,
    UNTESTED,
    Claim,
    Measure,
    VerdictChanged,
    above,
    check,
    exceeds,
    interval,
    judge,
    within,
)
from eqlib.claims_registry import CLAIMS


def toy_claim(**changes) -> Claim:
    """A claim whose rule is 'the arm's score beats the baseline by more than 0.1'."""
    fields = {
        "key": "99.toy",
        "statement": "the model beats the baseline",
        "paper": "",
        "rule": "score - baseline > 0.1",
        "test": lambda v, a: exceeds(v[f"{a}_score"], v["baseline_score"], 0.1, "gain"),
        "subject": "model",
        "subject_text": "the model",
        "control": "ablated",
        "control_text": "the model without its mechanism",
        "suite": "{model_score:.2f}",
        "quantities": ("model_score", "ablated_score", "baseline_score"),
        "seeds": {"fast": 1, "full": 1},
        "expected": {"fast": HOLDS, "full": HOLDS},
    }
    return Claim(**{**fields, **changes})


def test_interval_is_the_student_t_interval_of_the_differences():
    d = np.array([0.3, 0.1, 0.25, 0.2])
    mean, low, high = interval(d)
    expected = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert mean == pytest.approx(d.mean()) and (low, high) == pytest.approx(expected)


def test_exceeds_decides_on_the_lower_end_of_the_paired_interval():
    # a consistent gain passes; the same mean gain with a large spread does not (catches a rule on means)
    assert exceeds(Measure([0.5, 0.6, 0.7]), Measure([0.4, 0.5, 0.6]), 0.0, "gain").passed
    noisy = exceeds(Measure([0.7, 0.3, 0.8]), Measure([0.4, 0.5, 0.6]), 0.0, "gain")
    assert not noisy.passed and "3 paired seeds" in noisy.text
    single = exceeds(Measure(0.5), Measure(0.4), 0.05, "gain")
    assert single.passed and "1 seed" in single.text
    with pytest.raises(ValueError, match="same seeds"):
        exceeds(Measure([0.5, 0.6]), Measure([0.4, 0.5, 0.6]), 0.0, "gain")


def test_within_decides_on_the_upper_end_of_the_paired_interval():
    # a small consistent gap passes, one far below passes too (one-sided); a noisy gap with a small mean does not
    assert within(Measure([1001.0, 1002.0, 1003.0]), Measure([1000.0, 1001.5, 1002.0]), 5.0, "gap").passed
    assert within(Measure([990.0, 991.0, 989.0]), Measure([1000.0, 1001.0, 1002.0]), 5.0, "gap").passed
    noisy = within(Measure([1010.0, 995.0, 1004.0]), Measure([1000.0, 1000.0, 1000.0]), 5.0, "gap")
    assert not noisy.passed and "upper end" in noisy.text
    assert not within(Measure(1006.0), Measure(1000.0), 5.0, "gap").passed
    with pytest.raises(ValueError, match="same seeds"):
        within(Measure([1.0, 2.0]), Measure([1.0]), 1.0, "gap")


def test_bounds_are_decided_by_the_worst_seed():
    assert not above(Measure([0.9, 0.95, 0.4]), 0.5, "accuracy").passed
    assert above(Measure([0.9, 0.95, 0.6]), 0.5, "accuracy").passed


def test_the_three_verdicts():
    claim = toy_claim()
    assert judge(claim, {"model_score": 0.9, "ablated_score": 0.5, "baseline_score": 0.5}).verdict == HOLDS
    assert judge(claim, {"model_score": 0.55, "ablated_score": 0.5, "baseline_score": 0.5}).verdict == FAILS
    # the control passes the same rule: the rule cannot tell them apart, so nothing was tested
    both = judge(claim, {"model_score": 0.9, "ablated_score": 0.9, "baseline_score": 0.5})
    assert both.verdict == UNTESTED and "control passes" in both.reason
    unmeasured = judge(claim, {"model_score": 0.9, "ablated_score": math.nan, "baseline_score": 0.5})
    assert unmeasured.verdict == UNTESTED and "not measured" in unmeasured.reason


def test_a_claim_that_needs_seeds_is_not_tested_on_one_and_a_fast_only_claim_not_in_fast_mode():
    seeded = toy_claim(seeds={"fast": 1, "full": 3}, expected={"fast": UNTESTED, "full": HOLDS})
    values = {"model_score": 0.9, "ablated_score": 0.5, "baseline_score": 0.5}
    assert judge(seeded, values).verdict == UNTESTED
    three = {"model_score": [0.9, 0.92, 0.88], "ablated_score": [0.5, 0.52, 0.5], "baseline_score": [0.5, 0.5, 0.51]}
    assert judge(seeded, three).verdict == HOLDS
    slow = toy_claim(tested_in_fast=False, expected={"fast": UNTESTED, "full": HOLDS})
    assert judge(slow, values, "fast").verdict == UNTESTED and judge(slow, values, "full").verdict == HOLDS
    with pytest.raises(ValueError, match="fast run cannot test"):
        toy_claim(tested_in_fast=False)


def test_holds_over_paired_seeds_also_needs_the_subject_to_beat_the_control():
    # subject passes and control fails, yet the two are not told apart: that is no evidence of a difference
    contrasted = toy_claim(
        seeds={"fast": 1, "full": 3},
        expected={"fast": UNTESTED, "full": HOLDS},
        contrast=lambda v: exceeds(v["model_score"], v["ablated_score"], 0.0, "model - ablated"),
    )
    base = {"baseline_score": [0.5, 0.5, 0.5], "model_score": [0.65, 0.66, 0.64]}
    close = judge(contrasted, {**base, "ablated_score": [0.66, 0.58, 0.62]})
    assert not close.control.passed and close.subject.passed
    assert close.verdict == UNTESTED and "not told apart" in close.reason
    apart = judge(contrasted, {**base, "ablated_score": [0.5, 0.52, 0.49]})
    assert apart.verdict == HOLDS


def test_check_prints_the_verdict_and_fails_when_it_is_not_the_recorded_one(capsys):
    values = {"p4_upright": 0.95, "p4_rotated": 0.95, "cnn_upright": 0.98, "cnn_rotated": 0.45}
    assert check("01.invariance", values, fast=False).verdict == HOLDS
    printed = capsys.readouterr().out
    assert "verdict 01.invariance: holds" in printed and "plain CNN" in printed
    broken = {**values, "p4_rotated": 0.80}  # an invariant model whose accuracy moves: a regression
    with pytest.raises(VerdictChanged, match="record for full mode says 'holds'"):
        check("01.invariance", broken, fast=False, strict=True)
    capsys.readouterr()
    assert check("01.invariance", broken, fast=False, strict=False).verdict == FAILS  # a reader's run: a note
    assert "note: claim 01.invariance: this full-mode run says" in capsys.readouterr().out
    with pytest.raises(ValueError, match="missing \\['cnn_rotated'\\]"):
        check("01.invariance", {k: v for k, v in values.items() if k != "cnn_rotated"}, fast=False)
    with pytest.raises(ValueError, match="no claim '01.nothing'"):
        check("01.nothing", values, fast=False)


def test_claims_are_validated_when_defined():
    with pytest.raises(ValueError, match="expected verdicts"):
        toy_claim(expected={"full": HOLDS})
    with pytest.raises(ValueError, match="not quantities"):
        toy_claim(suite="{other:.2f}")


def test_registry_keys_are_unique_and_each_claim_has_a_distinct_control():
    keys = [c.key for claims in CLAIMS.values() for c in claims]
    assert len(keys) == len(set(keys))
    for claims in CLAIMS.values():
        for claim in claims:
            assert claim.subject != claim.control and claim.control_text and claim.rule, claim.key
