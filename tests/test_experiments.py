"""The data-parallel training script: two gloo processes, identical ranks, and the notebook's key."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from eqlib.data import mnist_tensors
from eqlib.experiments.duet import SCALES, checkpoint_for, main, notebook_config
from eqlib.models.duet import SelfSupervised
from eqlib.train import checkpoint_key, fit, load_checkpoint

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--method", "duet", "--digits", "64", "--epochs", "1", "--batch", "32", "--seed", "3"]


def notebook_train_method_config(**knobs):
    """The config notebook 03's own ``train_method`` hashes, captured by running that function on stubs."""
    cells = json.loads((ROOT / "notebooks" / "03_duet.ipynb").read_text())["cells"]
    text = next("".join(c["source"]) for c in cells if "def train_method" in "".join(c["source"]))
    function = next(n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == "train_method")
    captured = {"digits": torch.zeros(1, 1, 28, 28)}

    def fake_checkpoint_key(name, config, *tensors):
        captured.update(name=name, config=config, tensors=tensors)
        return Path("unused")

    namespace = {
        "torch": torch, "time": __import__("time"), "SelfSupervised": SelfSupervised, "SEED": 0, "seconds": {},
        "DUET_WEIGHT": 10.0, "ESSL_WEIGHT": 0.4, "FEATURES": 512, "BINS": 8, "KAPPA": 3.0, "TEMPERATURE": 0.1,
        "LR": 1e-3, "train_gray": captured["digits"], "device": "cpu", "checkpoint_key": fake_checkpoint_key,
        "TensorBatches": lambda *a, **k: None, "fit": lambda *a, **k: [], **knobs,
    }  # fmt: skip
    exec(compile(ast.Module([function], []), "03_duet.ipynb", "exec"), namespace)  # noqa: S102 -- the notebook's def
    namespace["train_method"]("x", "duet", seed=3)
    return captured


def test_the_scripts_key_is_the_one_notebook_03_builds():
    captured = notebook_train_method_config(digits=64, epochs=1, batch=32)
    assert captured["name"] == "duet"
    assert captured["config"] == notebook_config("duet", digits=64, epochs=1, batch=32, seed=3)
    assert len(captured["tensors"]) == 1 and captured["tensors"][0] is captured["digits"]  # its training digits
    assert SCALES["full"] == {"digits": 4000, "epochs": 10, "batch": 128}  # notebook 03's full-mode defaults


def test_one_process_writes_the_checkpoint_the_notebook_loads_without_training(tmp_path, monkeypatch):
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    path = main(TINY)
    config = notebook_config("duet", digits=64, epochs=1, batch=32, seed=3)
    assert path == checkpoint_for(config)
    assert path == checkpoint_key("duet", config, mnist_tensors("train", limit=64)[0])
    state = load_checkpoint(path)
    assert state["epoch"] == 1 and len(state["history"]) == 2  # 64 digits in batches of 32

    def no_batches(epoch):
        raise AssertionError("the notebook trained instead of loading the checkpoint")

    torch.manual_seed(3)
    model = SelfSupervised("duet")
    fit(model, no_batches, lambda m, b: m.loss(b[0]), epochs=1, checkpoint=path, progress=False)
    assert all(torch.equal(v, state["model"][k]) for k, v in model.state_dict().items())


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="needs torch's gloo backend")
def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    env = {**os.environ, "EQLIB_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "eqlib.experiments.duet", *TINY, "--dump-ranks", str(tmp_path / "ranks")]  # fmt: skip
    run = subprocess.run(command, check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    first, second = (load_checkpoint(tmp_path / "ranks" / f"rank{r}.pt")["model"] for r in (0, 1))
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    torch.manual_seed(3)  # the script's initial weights for seed 3
    untrained = SelfSupervised("duet").state_dict()
    assert any(not torch.equal(first[k], untrained[k]) for k in first if first[k].is_floating_point())
    path = checkpoint_key(
        "duet",
        notebook_config("duet", digits=64, epochs=1, batch=32, seed=3),
        mnist_tensors("train", limit=64)[0],
        root=tmp_path / "cache",
    )
    assert all(torch.equal(load_checkpoint(path)["model"][k], first[k]) for k in first)


def test_a_batch_that_does_not_split_over_the_processes_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    monkeypatch.setenv("WORLD_SIZE", "3")
    monkeypatch.setattr("torch.distributed.init_process_group", lambda *a, **k: None)
    monkeypatch.setattr("torch.distributed.is_initialized", lambda: False)
    with pytest.raises(ValueError, match="split evenly over 3"):
        main(TINY)
