"""The judge: rules, paired intervals, the four verdicts, health checks, power, and the check that guards them."""

import math

import numpy as np
import pytest
from scipy import stats

from eqlib.claims import (
    CLAIMS,
    CONSTRUCTED,
    CONSTRUCTION,
    EMPIRICAL,
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    UNTESTED,
    Claim,
    Effect,
    Measure,
    VerdictChanged,
    above,
    all_of,
    check,
    detectable_effect,
    exceeds,
    interval,
    judge,
    within,
)
from eqlib.claims.core import PAST, SHORT, STRADDLES


def toy_claim(**changes) -> Claim:
    """A claim whose rule is 'the arm's score beats the baseline by more than 0.1', its control healthy when its
    training loss fell by more than 0.1."""
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
        "references": ("baseline",),
        "suite": "{model_score:.2f}",
        "quantities": ("model_score", "ablated_score", "baseline_score", "ablated_fall"),
        "seeds": {"fast": 1, "full": 1},
        "expected": {"fast": HOLDS, "full": HOLDS},
        "health": lambda v: above(v["ablated_fall"], 0.1, "loss fall"),
        "health_text": "its loss fell",
        "effect": Effect(0.1, "the toy's margin"),
    }
    return Claim(**{**fields, **changes})


def seeded_claim(**changes) -> Claim:
    fields = {
        "seeds": {"fast": 1, "full": 3},
        "expected": {"fast": UNTESTED, "full": HOLDS},
        "contrast": lambda v: exceeds(v["model_score"], v["ablated_score"], 0.0, "model - ablated"),
    }
    return toy_claim(**{**fields, **changes})


ONE = {"model_score": 0.9, "ablated_score": 0.5, "baseline_score": 0.5, "ablated_fall": 0.5}


def test_interval_is_the_student_t_interval_of_the_differences():
    d = np.array([0.3, 0.1, 0.25, 0.2])
    mean, low, high = interval(d)
    expected = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert mean == pytest.approx(d.mean()) and (low, high) == pytest.approx(expected)


def test_exceeds_says_where_the_paired_interval_lies_against_the_margin():
    assert exceeds(Measure([0.5, 0.6, 0.7]), Measure([0.4, 0.5, 0.6]), 0.0, "gain").outcome == PAST
    noisy = exceeds(Measure([0.7, 0.3, 0.8]), Measure([0.4, 0.5, 0.6]), 0.0, "gain")
    assert noisy.outcome == STRADDLES and not noisy.passed and "3 paired seeds" in noisy.text
    assert exceeds(Measure([0.1, 0.2, 0.15]), Measure([0.4, 0.5, 0.45]), 0.0, "gain").outcome == SHORT
    single = exceeds(Measure(0.5), Measure(0.4), 0.05, "gain")
    assert single.passed and "1 seed" in single.text
    assert exceeds(Measure(0.5), Measure(0.48), 0.05, "gain").outcome == SHORT  # one seed: pass or fail only
    with pytest.raises(ValueError, match="same seeds"):
        exceeds(Measure([0.5, 0.6]), Measure([0.4, 0.5, 0.6]), 0.0, "gain")


def test_within_is_the_one_sided_counterpart():
    assert within(Measure([1001.0, 1002.0, 1003.0]), Measure([1000.0, 1001.5, 1002.0]), 5.0, "gap").passed
    assert within(Measure([990.0, 991.0, 989.0]), Measure([1000.0, 1001.0, 1002.0]), 5.0, "gap").passed
    noisy = within(Measure([1010.0, 995.0, 1004.0]), Measure([1000.0, 1000.0, 1000.0]), 5.0, "gap")
    assert noisy.outcome == STRADDLES and "upper end" in noisy.text
    assert within(Measure([1010.0, 1011.0, 1012.0]), Measure([1000.0] * 3), 5.0, "gap").outcome == SHORT
    assert not within(Measure(1006.0), Measure(1000.0), 5.0, "gap").passed


def test_bounds_are_decided_seed_by_seed_and_fail_with_their_first_failing_seed():
    assert above(Measure([0.9, 0.95, 0.6]), 0.5, "accuracy").outcome == PAST
    mixed = above(Measure([0.9, 0.95, 0.4]), 0.5, "accuracy")
    assert mixed.outcome == SHORT and "fails on 1 of 3 seeds" in mixed.text
    assert above(Measure([0.1, 0.2, 0.4]), 0.5, "accuracy").outcome == SHORT


def test_all_of_is_short_when_any_part_is_short_and_straddles_otherwise():
    past, short = above(Measure(0.9), 0.5, "a"), above(Measure(0.1), 0.5, "b")
    straddles = exceeds(Measure([0.7, 0.3, 0.8]), Measure([0.4, 0.5, 0.6]), 0.0, "c")
    assert all_of(past, past).outcome == PAST
    assert all_of(past, straddles, short).outcome == SHORT
    assert all_of(past, straddles).outcome == STRADDLES


def test_the_verdicts_of_an_empirical_claim():
    claim = toy_claim()
    assert judge(claim, ONE).verdict == HOLDS
    assert judge(claim, {**ONE, "model_score": 0.55}).verdict == FAILS
    both = judge(claim, {**ONE, "ablated_score": 0.9})
    assert both.verdict == UNTESTED and "control passes" in both.reason
    unmeasured = judge(claim, {**ONE, "ablated_score": math.nan})
    assert unmeasured.verdict == UNTESTED and "not measured" in unmeasured.reason


def test_a_control_that_did_not_train_leaves_the_claim_untested():
    # the subject beats a dead control by a mile: that is no evidence for the mechanism
    dead = judge(toy_claim(), {**ONE, "ablated_fall": 0.0})
    assert dead.verdict == UNTESTED and "did not train" in dead.reason
    assert "health of the control" in "\n".join(dead.lines())


def test_a_control_whose_own_result_straddles_the_margin_leaves_the_claim_inconclusive():
    values = {
        "baseline_score": [0.5, 0.5, 0.5],
        "ablated_fall": [0.5, 0.5, 0.5],
        "model_score": [0.9, 0.92, 0.91],
        "ablated_score": [0.8, 0.5, 0.6],  # passes on one seed, fails on another: undecided, not failing
    }
    judgement = judge(seeded_claim(), values)
    assert judgement.control.outcome == STRADDLES and judgement.verdict == INCONCLUSIVE


def test_a_control_named_as_no_near_miss_leaves_the_claim_untested():
    flawed = judge(toy_claim(control_flaw="it cannot show the property by design"), ONE)
    assert flawed.verdict == UNTESTED and "cannot show the property" in flawed.reason


def test_over_paired_seeds_the_verdict_comes_from_the_interval_against_the_margin():
    claim = seeded_claim()
    base = {"baseline_score": [0.5, 0.5, 0.5], "ablated_fall": [0.5, 0.5, 0.5], "ablated_score": [0.5, 0.52, 0.49]}
    assert judge(claim, {**base, "model_score": [0.9, 0.92, 0.88]}).verdict == HOLDS
    short = judge(claim, {**base, "model_score": [0.52, 0.53, 0.51]})
    assert short.verdict == FAILS
    straddling = judge(claim, {**base, "model_score": [0.75, 0.55, 0.65]})
    assert (
        straddling.verdict == INCONCLUSIVE and "paired seeds at the observed spread would decide" in straddling.reason
    )
    one = judge(claim, {k: v[0] for k, v in {**base, "model_score": [0.9]}.items()})
    assert one.verdict == UNTESTED and "one seed" in one.reason


def test_subject_passing_and_control_failing_is_not_enough_without_the_contrast():
    claim = seeded_claim()
    base = {"baseline_score": [0.5, 0.5, 0.5], "ablated_fall": [0.5, 0.5, 0.5], "model_score": [0.65, 0.66, 0.64]}
    close = judge(claim, {**base, "ablated_score": [0.66, 0.58, 0.62]})
    assert close.subject.passed and not close.control.passed
    assert close.verdict == INCONCLUSIVE


def test_seeds_to_decide_and_the_detectable_effect_follow_the_t_distribution():
    d = np.array([0.01, 0.03, -0.005])
    part = exceeds(Measure(d), Measure(np.zeros(3)), 0.0, "gain").intervals[0]
    sd = d.std(ddof=1)
    n = part.seeds_to_decide()  # 80 % power to clear the margin, at the observed mean and spread
    assert detectable_effect(sd, n) <= abs(d.mean()) < detectable_effect(sd, n - 1) and part.leaning_past
    assert detectable_effect(sd, 3) == pytest.approx((stats.t.ppf(0.975, 2) + stats.t.ppf(0.8, 2)) * sd / math.sqrt(3))
    needed = part.seeds_to_detect(0.005)
    assert detectable_effect(sd, needed) <= 0.005 < detectable_effect(sd, needed - 1)


def test_the_judgement_prints_the_detectable_effect_beside_the_effect_of_interest():
    claim = seeded_claim(effect=Effect(0.01, "a small effect"))
    values = {
        "baseline_score": [0.5] * 3,
        "ablated_fall": [0.5] * 3,
        "ablated_score": [0.5, 0.52, 0.49],
        "model_score": [0.75, 0.55, 0.65],
    }
    text = "\n".join(judge(claim, values).lines())
    assert "beyond the margin (paired, 5% two-sided, 80% power" in text and "effect of interest 0.01" in text
    assert "an effect that small needs about" in text


def test_a_construction_check_is_never_a_claim_holding():
    claim = toy_claim(kind=CONSTRUCTION, expected={"fast": CONSTRUCTED, "full": CONSTRUCTED}, health=None)
    judgement = judge(claim, ONE)
    assert judgement.verdict == CONSTRUCTED and "construction check" in "\n".join(judgement.lines())
    assert judge(claim, {**ONE, "model_score": 0.5}).verdict == "construction check fails"
    with pytest.raises(ValueError, match="expected verdicts"):
        toy_claim(kind=CONSTRUCTION)  # 'holds' is not a construction check's verdict


def test_claims_are_validated_when_defined():
    with pytest.raises(ValueError, match="expected verdicts"):
        toy_claim(expected={"full": HOLDS})
    with pytest.raises(ValueError, match="not quantities"):
        toy_claim(suite="{other:.2f}")
    with pytest.raises(ValueError, match="needs a contrast"):
        toy_claim(seeds={"fast": 1, "full": 3}, expected={"fast": UNTESTED, "full": HOLDS})
    with pytest.raises(ValueError, match="health check"):
        toy_claim(health=None)
    with pytest.raises(ValueError, match="effect of interest"):
        toy_claim(effect=None)
    with pytest.raises(ValueError, match="<arm>_<quantity>"):
        toy_claim(quantities=("model_score", "ablated_score", "baseline_score", "ablated_fall", "steps"))
    with pytest.raises(ValueError, match="fast run cannot test"):
        toy_claim(tested_in_fast=False)


def test_a_contrast_must_be_a_paired_interval():
    claim = seeded_claim(contrast=lambda v: above(v["model_score"], 0.5, "score"))
    with pytest.raises(ValueError, match="paired intervals"):
        judge(claim, {k: [v] * 3 for k, v in ONE.items()})


def test_check_prints_the_verdict_and_fails_when_it_is_not_the_recorded_one(capsys):
    values = {"p4_upright": 0.95, "p4_rotated": 0.95, "cnn_upright": 0.98, "cnn_rotated": 0.45}
    assert check("01.invariance", values, fast=False).verdict == CONSTRUCTED
    printed = capsys.readouterr().out
    assert "verdict 01.invariance: checked by construction" in printed and "plain CNN" in printed
    broken = {**values, "p4_rotated": 0.80}  # an invariant model whose accuracy moves: a regression
    with pytest.raises(VerdictChanged, match="record for full mode says 'checked by construction'"):
        check("01.invariance", broken, fast=False, strict=True)
    capsys.readouterr()
    assert check("01.invariance", broken, fast=False, strict=False).verdict == "construction check fails"
    assert "note: claim 01.invariance: this full-mode run says" in capsys.readouterr().out
    with pytest.raises(ValueError, match="missing \\['cnn_rotated'\\]"):
        check("01.invariance", {k: v for k, v in values.items() if k != "cnn_rotated"}, fast=False)
    with pytest.raises(ValueError, match="no claim '01.nothing'"):
        check("01.nothing", values, fast=False)


def test_every_claim_is_classified_and_every_empirical_one_states_its_effect():
    keys = [c.key for claims in CLAIMS.values() for c in claims]
    assert len(keys) == len(set(keys))
    for claims in CLAIMS.values():
        for claim in claims:
            assert claim.kind in (EMPIRICAL, CONSTRUCTION) and claim.subject != claim.control, claim.key
            if claim.kind == EMPIRICAL:
                assert claim.effect is not None and claim.effect.size > 0, claim.key
            if max(claim.seeds.values()) > 1:
                assert claim.contrast is not None, claim.key
            if claim.expected["full"] not in (HOLDS, CONSTRUCTED):
                assert claim.why or claim.control_flaw, f"{claim.key}: a verdict other than holds says why"


def test_the_judge_does_not_import_the_registry():
    import ast
    from pathlib import Path

    from eqlib.claims import core

    tree = ast.parse(Path(core.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.startswith("eqlib.claims.") for m in imported), imported
