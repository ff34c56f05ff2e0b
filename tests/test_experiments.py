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


def notebook_train_method_config(method="duet", arm=None, **knobs):
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
    namespace["train_method"]("x", method, seed=3, **(arm or {}))
    return captured


def test_the_scripts_key_is_the_one_notebook_03_builds():
    captured = notebook_train_method_config(digits=64, epochs=1, batch=32)
    assert captured["name"] == "duet"
    assert captured["config"] == notebook_config("duet", digits=64, epochs=1, batch=32, seed=3)
    for target in ("continuous", "quarter"):  # ESSL's two rotation targets train under keys of their own
        essl = notebook_train_method_config("essl", {"essl_target": target}, digits=64, epochs=1, batch=32)
        assert essl["config"] == notebook_config("essl", digits=64, epochs=1, batch=32, seed=3, essl_target=target)
        assert essl["config"]["essl_target"] == target
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


def two_gloo_ranks(script: str, args: list[str], tmp_path: Path) -> dict[str, torch.Tensor]:
    """Run ``eqlib.experiments.<script>`` as two gloo processes (cache in ``tmp_path/cache``); check that
    both ranks end with identical weights and return rank 0's."""
    env = {**os.environ, "EQLIB_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", f"eqlib.experiments.{script}", *args, "--dump-ranks", str(tmp_path / "ranks")]  # fmt: skip
    run = subprocess.run(command, check=False, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    first, second = (load_checkpoint(tmp_path / "ranks" / f"rank{r}.pt")["model"] for r in (0, 1))
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
    return first


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="needs torch's gloo backend")
def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    first = two_gloo_ranks("duet", TINY, tmp_path)
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


TVAE_TINY = ["--kind", "tvae", "--sequences", "32", "--epochs", "1", "--batch", "16", "--hidden", "32",
             "--image-size", "14", "--seed", "2"]  # fmt: skip


def tiny_tvae_knobs(seed: int = 2) -> dict:
    """The knobs notebook 04 passes to train_tvae, at the size of ``TVAE_TINY``."""
    return {"name": "rotation", "capsules": 8, "coherence": 2, "band": 1, "mu_init": 30.0, "hidden": 32, "epochs": 1,
            "warmup_epochs": 1, "batch": 16, "lr": 1e-3, "seed": seed, "data_seed": 0}  # fmt: skip


def test_the_tvae_scripts_scales_are_notebook_04s_modes_and_paper_preset():
    from eqlib.experiments.tvae import FIXED
    from eqlib.experiments.tvae import SCALES as TVAE_SCALES
    from eqlib.scales import PAPER

    cells = json.loads((ROOT / "notebooks" / "04_topographic_vae.ipynb").read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    defaults = {t.id: ast.literal_eval(s.value) for s in ast.parse("".join(cell["source"])).body
                for t in s.targets if isinstance(s.value, ast.Constant)}  # fmt: skip
    names = {"capsules": "CAPSULES", "frames": "FRAMES", "coherence": "COHERENCE", "band": "BAND", "mu_init": "MU_INIT",
             "lr": "LR"}  # fmt: skip
    assert {k: defaults[v] for k, v in names.items()} == FIXED
    assert TVAE_SCALES["full"]["hidden"] == defaults["HIDDEN"] and TVAE_SCALES["full"]["batch"] == defaults["BATCH"]
    preset = PAPER["04"].parameters
    assert {k: TVAE_SCALES["paper"][k.lower()] for k in ("HIDDEN", "SEQUENCES", "EPOCHS", "BATCH")} == {
        k: preset[k] for k in ("HIDDEN", "SEQUENCES", "EPOCHS", "BATCH")
    }


def notebook_namespace(notebook: str, fast: bool, train_cell_start: str, train_cell_end: str, **fakes) -> dict:
    """Run a notebook's parameters cell, its derived-sizes cell and its training definitions, with fakes.

    The training function the notebook calls (``train_tvae``, ``train_topomap``) is replaced by a
    fake that records its arguments, so the test reads the knobs the notebook itself passes.
    """
    from eqlib import runtime

    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    params = next("".join(c["source"]) for c in cells if "parameters" in c["metadata"].get("tags", []))
    derived = next(text for text in code if text.startswith("runtime.seed_everything(SEED)"))
    training = next(text for text in code if text.startswith(train_cell_start))
    namespace = {"runtime": runtime, "torch": torch, **fakes}
    for text in (params + f"\nFAST = {fast}", derived, training.split(train_cell_end)[0]):
        exec(compile(text, notebook, "exec"), namespace)  # noqa: S102 -- the notebook's own cells
    return namespace


@pytest.mark.parametrize("scale", ["fast", "full"])
def test_notebook_04_passes_train_tvae_the_scripts_knobs_and_data(scale):
    from eqlib.experiments.tvae import SCALES as TVAE_SCALES
    from eqlib.experiments.tvae import script_knobs

    calls = []
    namespace = notebook_namespace("04_topographic_vae.ipynb", scale == "fast", "KINDS = ", "models_by_seed",
                                   train_tvae=lambda kind, frames, **kw: calls.append((kind, frames, kw)))  # fmt: skip
    sizes = TVAE_SCALES[scale]
    assert {k: namespace[v] for k, v in {"sequences": "sequences", "epochs": "epochs", "batch": "BATCH",
            "hidden": "HIDDEN", "image_size": "image_size"}.items()} == sizes  # fmt: skip
    for seed in (0, 2):
        namespace["train"]("tvae", "the frames", name="rotation", seed=seed)
        kind, frames, knobs = calls[-1]
        assert (kind, frames) == ("tvae", "the frames") and knobs.pop("progress") == (seed == 0)
        assert knobs.pop("device") == namespace["device"] and knobs == script_knobs(sizes, seed, data_seed=0)
    cells = json.loads((ROOT / "notebooks" / "04_topographic_vae.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "train_frames = rotation_frames(sequences, FRAMES, image_size, data_seed=SEED)" in code


@pytest.mark.parametrize("scale", ["fast", "full"])
def test_notebook_05_passes_train_topomap_the_scripts_knobs(scale):
    from eqlib.experiments.topomap import SCALES as MAP_SCALES
    from eqlib.experiments.topomap import script_knobs

    calls = []
    namespace = notebook_namespace("05_category_selectivity.ipynb", scale == "fast", "knobs = ", "@torch.no_grad()",
                                   train_topomap=lambda images, **kw: calls.append((images, kw)))  # fmt: skip
    sizes = MAP_SCALES[scale]
    assert {k: namespace[v] for k, v in {"per_class": "per_class", "epochs": "epochs", "hidden": "hidden",
            "batch": "batch", "grid": "GRID", "mnist_digits": "mnist_digits"}.items()} == sizes  # fmt: skip
    train = namespace["train"]
    # the calls of notebook 05: the map and its control per seed, the VAE, and section 8's MNIST maps
    expected = {
        "tvae": (lambda: train("images", True, "TVAE, seed 1", width=namespace["WIDTH"], seed=1), "tvae", "categories", 1),
        "one-unit": (lambda: train("images", True, "one-unit TVAE, seed 1", width=1, seed=1), "one-unit", "categories", 1),
        "vae": (lambda: train("images", False, "VAE", seed=0), "vae", "categories", 0),
        "mnist": (lambda: train("digits", True, "TVAE (MNIST)", epochs=namespace["mnist_epochs"]), "tvae", "mnist", 0),
    }  # fmt: skip
    for call, arm, data, seed in expected.values():
        call()
        _, knobs = calls[-1]
        knobs.pop("name"), knobs.pop("device")
        assert knobs == script_knobs(arm, data, sizes, seed), (arm, data)


def test_the_tvae_script_writes_the_checkpoint_notebook_04_loads_without_training(tmp_path, monkeypatch):
    from eqlib.experiments.tvae import main as tvae_main
    from eqlib.experiments.tvae import rotation_frames, train_tvae

    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path))
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    path = tvae_main(TVAE_TINY)
    state = load_checkpoint(path)
    assert state["epoch"] == 1 and len(state["history"]) == 2  # 32 sequences in batches of 16
    frames = rotation_frames(32, 8, 14, data_seed=0)
    monkeypatch.setattr("eqlib.train.TensorBatches.__call__", lambda self, epoch: pytest.fail("trained, not loaded"))
    model, history = train_tvae("tvae", frames, progress=False, **tiny_tvae_knobs())
    assert history == state["history"]
    assert all(torch.equal(v, state["model"][k]) for k, v in model.state_dict().items())


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="needs torch's gloo backend")
def test_two_gloo_processes_train_notebook_04s_tvae_to_identical_weights(tmp_path):
    from eqlib.experiments.tvae import rotation_frames, tvae_checkpoint

    first = two_gloo_ranks("tvae", TVAE_TINY, tmp_path)
    frames = rotation_frames(32, 8, 14, data_seed=0)
    path = tvae_checkpoint("tvae", frames, **tiny_tvae_knobs())
    written = load_checkpoint(tmp_path / "cache" / path.name)
    assert all(torch.equal(written["model"][k], first[k]) for k in first)
    assert written["epoch"] == 1 and len(written["history"]) == 2  # both global batches, each shared by the ranks


TOPOMAP_TINY = ["--arm", "tvae", "--per-class", "8", "--epochs", "1", "--batch", "16", "--hidden", "32",
                "--grid", "6", "--seed", "1"]  # fmt: skip


def tiny_topomap_knobs() -> dict:
    """The knobs notebook 05 passes to train_topomap, at the size of ``TOPOMAP_TINY``."""
    return {"topographic": True, "grid": 6, "width": 5, "mu_init": 10.0, "hidden": 32, "epochs": 1, "batch": 16,
            "lr": 1e-3, "seed": 1}  # fmt: skip


def test_the_topomap_scripts_scales_are_notebook_05s_modes_and_paper_preset():
    from eqlib.experiments.topomap import FIXED
    from eqlib.experiments.topomap import SCALES as MAP_SCALES
    from eqlib.scales import PAPER

    cells = json.loads((ROOT / "notebooks" / "05_category_selectivity.ipynb").read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    defaults = {t.id: ast.literal_eval(s.value) for s in ast.parse("".join(cell["source"])).body
                for t in s.targets if isinstance(s.value, ast.Constant)}  # fmt: skip
    assert {"width": defaults["WIDTH"], "mu_init": defaults["MU_INIT"], "lr": defaults["LR"]} == FIXED
    assert MAP_SCALES["full"]["grid"] == defaults["GRID"]
    preset = {k.lower(): v for k, v in PAPER["05"].parameters.items()}
    assert {k: MAP_SCALES["paper"][k] for k in preset} == preset
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "train_images, train_labels, train_subs = category_images(per_class, seed=SEED, noise=0.0)" in code


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="needs torch's gloo backend")
def test_two_gloo_processes_train_notebook_05s_map_to_the_checkpoint_it_loads(tmp_path, monkeypatch):
    from eqlib.data import category_images
    from eqlib.experiments.topomap import topomap_checkpoint, train_topomap

    first = two_gloo_ranks("topomap", TOPOMAP_TINY, tmp_path)
    images = category_images(8, seed=0, noise=0.0)[0]
    monkeypatch.setenv("EQLIB_CACHE", str(tmp_path / "cache"))
    assert topomap_checkpoint(images, **tiny_topomap_knobs()).is_file()
    monkeypatch.setattr("eqlib.train.TensorBatches.__call__", lambda self, epoch: pytest.fail("trained, not loaded"))
    model, history = train_topomap(images, name="loaded", progress=False, **tiny_topomap_knobs())
    assert len(history) == 2 and all(torch.equal(v, first[k]) for k, v in model.state_dict().items())
