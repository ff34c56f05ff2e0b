import pytest
import torch

from eqlib.models.retrieval_runs import RetrievalRun, running_accuracy, steps_to, train_run, train_runs


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    return tmp_path


def tiny(cell: str, seed: int = 0, **kwargs) -> RetrievalRun:
    return RetrievalRun(cell, pairs=2, steps=100, seed=seed, hidden=8, batch=16, **kwargs)


def test_runs_trained_side_by_side_equal_the_runs_trained_alone(cache, tmp_path_factory, monkeypatch):
    runs = [tiny("fw_lstm"), tiny("ln_lstm"), tiny("fw_rnn", seed=1)]
    torch.set_num_threads(1)
    together = train_runs(runs, workers=2)
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path_factory.mktemp("alone")))
    for run in runs:
        model, history = train_run(run)
        other_model, other_history = together[run]
        assert [h["loss"] for h in history] == [h["loss"] for h in other_history]
        for a, b in zip(model.state_dict().values(), other_model.state_dict().values()):
            assert torch.equal(a, b)


def test_a_run_with_a_level_stops_at_the_epoch_that_reaches_it(cache):
    run = tiny("fw_lstm", stop_at=0.3, lr=1e-2)
    history = train_run(run)[1]
    reached = steps_to(history, 0.3)
    assert reached <= len(history) < reached + run.steps_per_epoch  # stopped at the end of that epoch
    assert len(history) % run.steps_per_epoch == 0 and len(history) < run.steps
    assert len(train_run(run)[1]) == len(history)  # loaded from the cache, not trained further


def test_running_accuracy_and_steps_to():
    history = [{"accuracy": a} for a in [0.0] * 30 + [1.0] * 30]
    curve = running_accuracy(history, window=10)
    assert len(curve) == 51 and curve[0] == 0.0 and curve[-1] == pytest.approx(1.0)
    assert steps_to(history, 0.5, window=10) == 35.0  # steps 26..35 hold five ones out of ten
    assert steps_to(history, 1.1, window=10) == float("inf")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell": "gru"}, "cell must be one of"),
        ({"steps": 75}, "positive multiple of 50"),
        ({"stop_at": 1.5}, r"stop_at must be an accuracy in \(0, 1\]"),
    ],
)
def test_bad_runs_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RetrievalRun(**{"cell": "fw_lstm", "pairs": 2, "steps": 100, "seed": 0, **kwargs})
    with pytest.raises(ValueError, match="workers must be a positive int"):
        train_runs([], workers=0)
