import math
import os

import pytest
import torch
from torch import nn

from eqlib import train
from eqlib.train import (
    TensorBatches,
    TrainingDiverged,
    UnreadableCheckpoint,
    checkpoint_key,
    checkpoint_path,
    config_hash,
    fit,
    fit_best,
    load_checkpoint,
    save_checkpoint,
)


def regression_problem(n: int = 64):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=gen)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1
    return x, y


def mse(model, batch):
    x, y = batch
    loss = nn.functional.mse_loss(model(x), y)
    return loss, {"rmse": loss.sqrt().item()}


def fresh_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(3, 1)


def test_fit_reduces_the_loss_and_logs_every_step():
    x, y = regression_problem()
    batches = TensorBatches(x, y, batch_size=16)
    history = fit(fresh_model(), batches, mse, epochs=30, lr=0.05, progress=False)
    assert len(history) == 30 * len(batches)
    assert history[-1]["loss"] < 0.01 * history[0]["loss"]
    assert set(history[0]) == {"epoch", "step", "loss", "rmse"}
    assert [h["step"] for h in history] == list(range(len(history)))


def test_fit_accepts_a_plain_iterable_of_batches():
    x, y = regression_problem(8)
    history = fit(fresh_model(), [(x, y)], lambda m, b: mse(m, b)[0], epochs=3, progress=False)
    assert len(history) == 3


def test_divergence_raises_a_clear_error():
    x, y = regression_problem()
    model = fresh_model()
    with torch.no_grad():
        model.weight[0, 1] = float("nan")  # finite inputs, a model that has gone bad
    with pytest.raises(TrainingDiverged, match=r"loss became nan at epoch 0, step 0.*learning rate"):
        fit(model, TensorBatches(x, y, batch_size=8, shuffle=False), mse, epochs=1, progress=False)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_fit_rejects_a_batch_with_nonfinite_entries_naming_the_tensor_and_the_step(bad):
    x, y = regression_problem()
    y[21] = bad  # row 21: the third batch of 8, step 2
    model = fresh_model()
    before = model.weight.detach().clone()
    with pytest.raises(ValueError, match=r"batch\[1\] of the batch at epoch 0, step 2 holds NaN or infinite"):
        fit(model, TensorBatches(x, y, batch_size=8, shuffle=False), mse, epochs=1, progress=False)
    assert not torch.equal(model.weight.detach(), before)  # the two good batches trained; the bad one did not


def test_fit_names_a_nonfinite_entry_of_a_dict_batch_and_ignores_integer_tensors():
    x, y = regression_problem(8)
    x[3, 0] = float("nan")
    batches = [{"x": x, "y": y, "ids": torch.arange(8)}]
    with pytest.raises(ValueError, match=r"batch\['x'\] of the batch at epoch 0, step 0"):
        fit(fresh_model(), batches, lambda m, b: mse(m, (b["x"], b["y"]))[0], epochs=1, progress=False)


def test_predict_rejects_nonfinite_inputs_naming_the_tensor_and_rows():
    model = fresh_model()
    x = torch.randn(20, 3)
    x[13, 2] = float("inf")
    with pytest.raises(ValueError, match=r"predict: input\[0\] holds NaN or infinite entries in rows 10-19"):
        train.predict(model, x, batch_size=10)
    assert train.predict(model, x[:10], batch_size=10).shape == (10, 1)


def test_fit_stops_when_its_rule_holds_and_a_resumed_run_stops_there_too(tmp_path):
    x, y = regression_problem()
    batches = TensorBatches(x, y, batch_size=16, seed=3)

    def good_enough(history):
        return history[-1]["loss"] < 0.5

    straight = fit(fresh_model(), batches, mse, epochs=200, lr=0.05, progress=False, until=good_enough)
    assert good_enough(straight) and not good_enough(straight[: -len(batches)])  # stopped at the first good epoch
    assert len(straight) % len(batches) == 0 and len(straight) < 200 * len(batches)

    path = tmp_path / "run.pt"
    fit(fresh_model(), batches, mse, epochs=2, lr=0.05, checkpoint=path, progress=False)  # interrupted early
    resumed = fit(fresh_model(), batches, mse, epochs=200, lr=0.05, checkpoint=path, progress=False, until=good_enough)
    assert [h["loss"] for h in resumed] == pytest.approx([h["loss"] for h in straight], rel=1e-5)
    again = fit(fresh_model(7), batches, mse, epochs=200, lr=0.05, checkpoint=path, progress=False, until=good_enough)
    assert len(again) == len(straight)  # a finished run is loaded, not trained further


def test_exploding_learning_rate_is_caught_before_nan_reaches_a_plot():
    x, y = regression_problem()
    model = fresh_model()
    sgd = torch.optim.SGD(model.parameters(), lr=10.0)  # far beyond the stable step size
    with pytest.raises(TrainingDiverged, match="loss became (inf|nan)"):
        fit(model, TensorBatches(x, y, batch_size=8), mse, epochs=200, optimizer=sgd, progress=False)


def test_resume_matches_an_uninterrupted_run(tmp_path):
    x, y = regression_problem()
    batches = TensorBatches(x, y, batch_size=16, seed=3)
    straight = fresh_model()
    fit(straight, batches, mse, epochs=4, lr=0.01, progress=False)

    path = tmp_path / "run.pt"
    interrupted = fresh_model()
    fit(interrupted, batches, mse, epochs=2, lr=0.01, checkpoint=path, progress=False)
    resumed = fresh_model(seed=99)  # different init: everything must come from the checkpoint
    history = fit(resumed, batches, mse, epochs=4, lr=0.01, checkpoint=path, progress=False)
    assert len(history) == 4 * len(batches)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_a_loss_that_takes_the_step_gets_the_global_step_across_a_resume(tmp_path):
    """A warm-up computed from ``step`` continues where the interrupted run stopped."""
    x, y = regression_problem()
    batches = TensorBatches(x, y, batch_size=16, seed=3)
    warmup_steps = 3 * len(batches)
    weights = []

    def warmed_up_mse(model, batch, step):
        weights.append(min(1.0, step / warmup_steps))
        return mse(model, batch)

    path = tmp_path / "warmup.pt"
    fit(fresh_model(), batches, warmed_up_mse, epochs=1, checkpoint=path, progress=False)
    first_run = list(weights)
    fit(fresh_model(), batches, warmed_up_mse, epochs=2, checkpoint=path, progress=False)
    resumed = weights[len(first_run) :]
    assert resumed[0] == pytest.approx(len(batches) / warmup_steps), "the resumed warm-up restarted at 0"
    assert first_run + resumed == pytest.approx([min(1.0, s / warmup_steps) for s in range(2 * len(batches))])


def test_fit_best_keeps_the_weights_of_the_best_scoring_epoch():
    x, y = regression_problem()
    batches = TensorBatches(x, y, batch_size=16, seed=0)
    snapshots = []

    def score(model):  # peaks after epoch 2 whatever the loss does
        snapshots.append(model.weight.detach().clone())
        return -abs(len(snapshots) - 3)

    model = fresh_model()
    scores, best = fit_best(model, batches, mse, score, epochs=6, lr=0.05)
    assert scores == [-2, -1, 0, -1, -2, -3] and best == 2
    torch.testing.assert_close(model.weight, snapshots[2])
    # epoch by epoch it trains as one uninterrupted run of fit: its last snapshot is fit's result
    straight = fresh_model()
    fit(straight, batches, mse, epochs=6, lr=0.05, progress=False)
    torch.testing.assert_close(snapshots[-1], straight.weight)


def test_complete_checkpoint_is_loaded_without_training(tmp_path):
    x, y = regression_problem()
    batches = TensorBatches(x, y, batch_size=16)
    path = tmp_path / "done.pt"
    trained = fresh_model()
    first = fit(trained, batches, mse, epochs=2, checkpoint=path, progress=False)

    def must_not_run(model, batch):
        raise AssertionError("training ran although the checkpoint was complete")

    loaded = fresh_model(seed=5)
    again = fit(loaded, batches, must_not_run, epochs=2, checkpoint=path, progress=False)
    assert again == first
    assert torch.equal(loaded.weight, trained.weight)
    assert not loaded.training


def test_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"value": torch.tensor([1.0]), "epoch": 1})

    def crash(obj, handle):
        handle.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(train.torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"value": torch.tensor([2.0]), "epoch": 2})
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1, "the old checkpoint must survive a failed save"
    assert os.listdir(tmp_path) == ["ckpt.pt"], "no temporary file may be left behind"


def test_checkpoints_load_with_weights_only(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.pt", {"epoch": 3})
    seen = {}
    original = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(train.torch, "load", spy)
    assert load_checkpoint(path) == {"epoch": 3}
    assert seen.get("weights_only") is True
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")


def test_config_hash_is_order_independent_and_sensitive_to_values():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    with pytest.raises(ValueError, match="JSON values"):
        config_hash({"model": nn.Linear(1, 1)})


def test_checkpoint_path_is_keyed_by_the_config(tmp_path):
    a = checkpoint_path("net", {"lr": 0.1}, root=tmp_path)
    b = checkpoint_path("net", {"lr": 0.2}, root=tmp_path)
    assert a.parent == tmp_path and a.suffix == ".pt" and a != b
    with pytest.raises(ValueError, match="name must be"):
        checkpoint_path("../escape", {}, root=tmp_path)


def test_tensor_batches_cover_the_data_once_per_epoch_reproducibly():
    x = torch.arange(10)
    batches = TensorBatches(x, batch_size=4, seed=1)
    assert len(batches) == math.ceil(10 / 4)
    epoch0 = torch.cat([b[0] for b in batches(0)])
    assert sorted(epoch0.tolist()) == list(range(10))
    assert torch.equal(epoch0, torch.cat([b[0] for b in batches(0)]))
    assert not torch.equal(epoch0, torch.cat([b[0] for b in batches(1)]))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {"batch_size": 2}, "at least one tensor"),
        ((torch.zeros(3), torch.zeros(4)), {"batch_size": 2}, "same first dimension"),
        ((torch.zeros(3),), {"batch_size": 0}, "batch_size"),
    ],
)
def test_tensor_batches_bad_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBatches(*args, **kwargs)


def test_fit_rejects_negative_epochs():
    with pytest.raises(ValueError, match="epochs"):
        fit(fresh_model(), [], mse, epochs=-1, progress=False)


def test_predict_matches_a_single_pass():
    model = fresh_model()
    x = torch.randn(50, 3)
    with torch.no_grad():
        expected = model(x)
    assert torch.allclose(train.predict(model, x, batch_size=7), expected)
    with pytest.raises(ValueError, match="empty"):
        train.predict(model, x[:0])


def test_fit_prints_a_static_summary_when_progress_is_on(tmp_path, capsys):
    x, y = regression_problem(16)
    path = tmp_path / "p.pt"
    fit(fresh_model(), TensorBatches(x, y, batch_size=8), mse, epochs=1, checkpoint=path, desc="demo")
    assert "demo: epochs 0-1 on cpu, 2 steps" in capsys.readouterr().out
    fit(fresh_model(), TensorBatches(x, y, batch_size=8), mse, epochs=1, checkpoint=path, desc="demo")
    assert "demo: loaded 1 trained epochs from checkpoint p.pt" in capsys.readouterr().out


def test_zero_epochs_without_a_checkpoint_returns_an_empty_history():
    x, y = regression_problem(4)
    assert fit(fresh_model(), TensorBatches(x, y, batch_size=2), mse, epochs=0) == []


def test_predict_passes_one_batch_of_every_input_and_checks_them():
    weights = torch.randn(3)
    x, mask = torch.randn(23, 3), (torch.rand(23, 3) > 0.5).float()
    out = train.predict(lambda a, m: (a * m) @ weights, x, mask, batch_size=5)
    torch.testing.assert_close(out, (x * mask) @ weights)
    with pytest.raises(ValueError, match="first dimension"):
        train.predict(lambda a, m: a, x, mask[:5])
    with pytest.raises(ValueError, match="at least one"):
        train.predict(lambda: None)


@pytest.mark.parametrize("damage", ["truncated", "other model"])
def test_an_unreadable_checkpoint_is_named_and_retrained_over(tmp_path, capsys, damage):
    x, y = regression_problem(16)
    batches = TensorBatches(x, y, batch_size=8)
    path = tmp_path / "bad.pt"
    if damage == "truncated":
        fit(fresh_model(), batches, mse, epochs=1, checkpoint=path, progress=False)
        path.write_bytes(path.read_bytes()[:100])
        with pytest.raises(UnreadableCheckpoint, match="bad.pt"):
            load_checkpoint(path)
    else:  # a checkpoint of a model of another shape, as an older version of a notebook may leave
        fit(nn.Linear(5, 1), TensorBatches(torch.randn(16, 5), y, batch_size=8), mse, epochs=1, checkpoint=path,
            progress=False)  # fmt: skip
    model = fresh_model()
    history = fit(model, batches, mse, epochs=1, checkpoint=path, progress=False)
    assert len(history) == 2 and "training from scratch" in capsys.readouterr().out
    assert torch.equal(load_checkpoint(path)["model"]["weight"], model.weight.detach())


def test_checkpoint_key_changes_with_a_data_knob_the_parameters_do_not_name(tmp_path):
    params = {"epochs": 3, "lr": 1e-3}
    data = torch.randn(10, 4, generator=torch.Generator().manual_seed(0))
    noisier = data + 0.1 * torch.randn(10, 4, generator=torch.Generator().manual_seed(1))
    key = checkpoint_key("model", params, data, root=tmp_path)
    assert key == checkpoint_key("model", dict(reversed(params.items())), data.clone(), root=tmp_path)
    assert key != checkpoint_key("model", params, noisier, root=tmp_path)
    assert key != checkpoint_key("model", {**params, "lr": 1e-2}, data, root=tmp_path)
    assert key != checkpoint_key("model", params, data.double(), root=tmp_path)
    assert key.parent == tmp_path and key.name.startswith("model-")


def test_checkpoint_key_includes_the_source_that_trains(tmp_path, monkeypatch):
    params = {"epochs": 3}
    key = checkpoint_key("model", params, root=tmp_path)
    monkeypatch.setattr(train, "source_fingerprint", lambda: "edited")
    assert checkpoint_key("model", params, root=tmp_path) != key


def test_source_fingerprint_sees_an_edit_of_a_model_but_not_of_a_claim(tmp_path):
    import shutil

    package = tmp_path / "eqlib"
    shutil.copytree(os.path.dirname(train.__file__), package, ignore=shutil.ignore_patterns("__pycache__"))
    original = train.source_fingerprint(package)
    assert original == train.source_fingerprint(os.path.dirname(train.__file__))

    claims = package / "claims" / "nb06.py"
    claims.write_text(claims.read_text() + "\n# a reworded claim\n")
    train.source_fingerprint.cache_clear()
    assert train.source_fingerprint(package) == original

    model = package / "nn" / "fastweights.py"
    model.write_text(model.read_text().replace("return decay * memory", "return 0.5 * decay * memory"))
    train.source_fingerprint.cache_clear()
    assert train.source_fingerprint(package) != original
    with pytest.raises(ValueError, match="expected the eqlib package folder"):
        train.source_fingerprint(tmp_path / "missing")


def test_a_ranks_share_of_a_batch_and_its_weight():
    batch = (torch.arange(7.0), {"y": torch.arange(7)})
    first, second = train._share(batch, 0, 2), train._share(batch, 1, 2)
    assert first[0].tolist() == [0.0, 2.0, 4.0, 6.0] and second[1]["y"].tolist() == [1, 3, 5]
    assert train._share(batch, 0, 1) is batch
    # 4 and 3 of 7 samples: weights 8/7 and 6/7 make the ranks' mean of means the batch mean
    assert train._share_weight(batch, 0, 2) == pytest.approx(8 / 7) and train._share_weight(batch, 1, 2) == 6 / 7
    with pytest.raises(ValueError, match="cannot be shared by 8 processes"):
        train._share(torch.zeros(3), 0, 8)


_TWO_RANK_SCRIPT = """
import json, sys
import torch, torch.distributed as dist
from eqlib.train import fit

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
x, y = torch.randn(10, 3), torch.randn(10, 1)
model = torch.nn.Linear(3, 1)
history = fit(model, [(x[:7], y[:7]), (x[7:], y[7:])], lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), epochs=1,
              optimizer=torch.optim.SGD(model.parameters(), lr=0.1), progress=False)
torch.save(model.state_dict(), f"{sys.argv[1]}/rank{rank}.pt")
json.dump([h["loss"] for h in history], open(f"{sys.argv[1]}/rank{rank}.json", "w"))
dist.destroy_process_group()
"""


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="needs torch's gloo backend")
def test_two_ranks_take_the_same_step_as_one_process_on_uneven_batches(tmp_path):
    """Batches of 7 and 3 split 4/3 and 2/1: each rank sees its share, the averaged step is the whole batch's."""
    import json
    import subprocess
    import sys

    (tmp_path / "two_ranks.py").write_text(_TWO_RANK_SCRIPT)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               str(tmp_path / "two_ranks.py"), str(tmp_path)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    torch.manual_seed(0)
    x, y = torch.randn(10, 3), torch.randn(10, 1)
    model = nn.Linear(3, 1)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    fit(model, [(x[:7], y[:7]), (x[7:], y[7:])], lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), epochs=1,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1), progress=False)  # fmt: skip
    for rank in (0, 1):
        weights = torch.load(tmp_path / f"rank{rank}.pt", weights_only=True)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(weights[name], value, atol=1e-6, rtol=1e-5)
    start = nn.Linear(3, 1)
    start.load_state_dict(initial)
    with torch.no_grad():
        share_loss = ((start(x[:7][0::2]) - y[:7][0::2]) ** 2).mean().item()
        whole_loss = ((start(x[:7]) - y[:7]) ** 2).mean().item()
    first_rank_losses = json.loads((tmp_path / "rank0.json").read_text())
    assert first_rank_losses[0] == pytest.approx(share_loss, rel=1e-5) and abs(share_loss - whole_loss) > 1e-3
