import pytest
import torch

from eqlib.nn import ExactLinear, SelfNormLinear
from eqlib.perf import (
    flow_layer_step_time,
    interleaved_medians,
    log_det_gradient_time,
    loglog_slope,
    median_seconds,
    ratio_table,
)


def test_loglog_slope_recovers_a_power_law():
    sizes = [10, 20, 40, 80]
    assert loglog_slope(sizes, [3e-6 * s**3 for s in sizes]) == pytest.approx(3.0)
    assert loglog_slope(sizes, [5e-4 * s**2 for s in sizes]) == pytest.approx(2.0)


def test_loglog_slope_bad_inputs():
    with pytest.raises(ValueError, match="at least two"):
        loglog_slope([1], [1.0])
    with pytest.raises(ValueError, match="positive"):
        loglog_slope([1, 2], [0.0, 1.0])


def test_median_seconds_runs_warmup_and_repeats():
    calls = []
    assert median_seconds(lambda: calls.append(1), repeats=3, warmup=2) >= 0
    assert len(calls) == 5
    with pytest.raises(ValueError, match="repeats"):
        median_seconds(lambda: None, repeats=0)


@pytest.mark.parametrize("layer", [ExactLinear, SelfNormLinear])
def test_flow_layer_step_time_trains_one_step(layer):
    assert flow_layer_step_time(layer, 8, batch=4, repeats=1, device=torch.device("cpu")) > 0


def test_flow_layer_step_time_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    flow_layer_step_time(ExactLinear, 4, batch=2, repeats=1)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("kind", ["exact", "self-normalizing"])
def test_log_det_gradient_time_runs(kind):
    assert log_det_gradient_time(kind, 8, repeats=1) > 0


def test_log_det_gradient_time_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind must be"):
        log_det_gradient_time("lu", 8)


def test_interleaved_medians_runs_every_arrangement_in_turn_and_takes_medians():
    order, seconds = [], {"a": iter([3.0, 1.0, 2.0]), "b": iter([5.0, 7.0, 6.0])}

    def arrangement(name):
        def run():
            order.append(name)
            return next(seconds[name])

        return run

    medians = interleaved_medians({"a": arrangement("a"), "b": arrangement("b")}, repeats=3)
    assert medians == {"a": 2.0, "b": 6.0}
    assert order == ["a", "b"] * 3
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        interleaved_medians({"a": arrangement("a")}, repeats=0)


def test_ratio_table_gives_each_arrangement_its_ratio_to_the_first():
    text = ratio_table("head line.", {"alone": 8.0, "side by side": 6.0}, "one after another")
    assert text.splitlines() == [
        "head line.",
        "",
        "| arrangement | wall time (s) | ratio to one after another |",
        "| --- | ---: | ---: |",
        "| alone | 8.0 | 1.00 |",
        "| side by side | 6.0 | 0.75 |",
    ]
    with pytest.raises(ValueError, match="at least one arrangement"):
        ratio_table("head", {}, "x")
