"""Notebook 03's self-supervised models (SimCLR, ESSL, DUET) trained by data-parallel processes.

    torchrun --nproc_per_node 2 -m eqlib.experiments.duet --method duet --seed 0 --scale full
    python -m eqlib.experiments.duet --method simclr --digits 60000 --epochs 100 --batch 512

The training steps are ``fit``'s (``eqlib.train``), as in the notebook: inside a process group
every rank holds the whole model, each global batch of ``--batch`` digits is shared by the ranks,
and DistributedDataParallel averages the gradients, so the ranks stay identical. Rank
0 writes the checkpoint under the key notebook 03's ``train_method`` builds for the same knobs
(``notebook_config``, hashed with a fingerprint of the training digits by ``checkpoint_for``), in
``EQLIB_CACHE``; the notebook run with those knobs (``DIGITS``,
``EPOCHS``, ``BATCH``, ``SEED``, ...) then loads it instead of training.

One difference from a single process, inherent to data parallelism: NT-Xent draws its negatives
from each rank's share of the batch (``batch / N`` digits), not from the whole batch.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from eqlib import runtime
from eqlib.data import mnist_tensors
from eqlib.experiments import chosen_sizes, run_on_every_rank
from eqlib.models.duet import DEFAULT_WEIGHTS, ESSL_TARGETS, METHODS, TRANSFORMS, SelfSupervised
from eqlib.train import TensorBatches, checkpoint_key, fit

# training digits, epochs and batch per scale: notebook 03's fast and full modes, and the paper's
# scale for MNIST-sized data on one GPU (all 60,000 digits; the authors train for hundreds of epochs)
SCALES: dict[str, dict[str, int]] = {
    "fast": {"digits": 600, "epochs": 3, "batch": 64},
    "full": {"digits": 4000, "epochs": 10, "batch": 128},
    "paper": {"digits": 60000, "epochs": 100, "batch": 512},
}


def notebook_config(
    method: str,
    *,
    digits: int,
    epochs: int,
    batch: int,
    seed: int,
    weight: float | None = None,
    features: int = 512,
    bins: int = 8,
    kappa: float = 3.0,
    temperature: float = 0.1,
    lr: float = 1e-3,
    groups: Sequence[str] = ("rotation",),
    essl_target: str = "continuous",
) -> dict[str, Any]:
    """The configuration notebook 03's ``train_method`` hashes into its checkpoint key, for these knobs
    (``essl_target`` only for ESSL)."""
    weight = DEFAULT_WEIGHTS[method] if weight is None else weight
    config = {"method": method, "n": digits, "features": features, "bins": bins, "weight": weight, "kappa": kappa,
              "temperature": temperature, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
              "groups": list(groups)}  # fmt: skip
    if method == "essl":
        config["essl_target"] = essl_target
    return config


def checkpoint_for(config: dict[str, Any]) -> Path:
    """The checkpoint notebook 03 loads for ``config``: its knobs and the first ``config["n"]`` training digits."""
    gray, _ = mnist_tensors("train", limit=config["n"])
    return checkpoint_key("duet", config, gray)


def train(config: dict[str, Any], *, dump_dir: Path | None = None) -> Path:
    """Train one model of notebook 03 as ``config`` says, on every rank; rank 0 writes the checkpoint.

    The same steps as the notebook's ``train_method`` (``fit`` with its history of NT-Xent and the
    method's term), data-parallel inside a process group. ``dump_dir``: where each rank also saves its
    final weights as ``rank<r>.pt`` (for tests that compare the ranks). Returns the checkpoint's path.
    """
    gray, _ = mnist_tensors("train", limit=config["n"])
    path = checkpoint_key("duet", config, gray)

    def run(device: torch.device, progress: bool) -> tuple[SelfSupervised, Path]:
        torch.manual_seed(config["seed"])  # the notebook's initial weights for this seed
        model = SelfSupervised(config["method"], features=config["features"], bins=config["bins"],
                               weight=config["weight"], kappa=config["kappa"], temperature=config["temperature"],
                               groups=tuple(config["groups"]),
                               essl_target=config.get("essl_target", "continuous"))  # fmt: skip
        fit(model, TensorBatches(gray, batch_size=config["batch"], seed=config["seed"]), lambda m, b: m.loss(b[0]),
            epochs=config["epochs"], lr=config["lr"], device=device, checkpoint=path,
            desc=f"{config['method']}, seed {config['seed']}", progress=progress)  # fmt: skip
        return model.eval(), path

    return run_on_every_rank(run, config["batch"], dump_dir)


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m eqlib.experiments.duet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", choices=METHODS, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", choices=tuple(SCALES), default="full", help="digits, epochs and batch preset")
    parser.add_argument("--digits", type=int, help="training digits (overrides the scale)")
    parser.add_argument("--epochs", type=int, help="epochs (overrides the scale)")
    parser.add_argument("--batch", type=int, help="global batch, split over the processes (overrides the scale)")
    parser.add_argument("--weight", type=float, help="lambda of the ESSL or DUET term (default 0.4 / 10)")
    parser.add_argument("--groups", nargs="+", choices=TRANSFORMS, default=["rotation"])
    parser.add_argument("--essl-target", choices=ESSL_TARGETS, default="continuous", help="ESSL's rotation target")
    parser.add_argument("--dump-ranks", type=Path, help="also save each rank's final weights in this folder")
    args = parser.parse_args(argv)
    sizes = chosen_sizes(args, SCALES)
    config = notebook_config(args.method, seed=args.seed, weight=args.weight, groups=args.groups,
                             essl_target=args.essl_target, **sizes)  # fmt: skip
    runtime.seed_everything(args.seed)
    return train(config, dump_dir=args.dump_ranks)


if __name__ == "__main__":
    main()
