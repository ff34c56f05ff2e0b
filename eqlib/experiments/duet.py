"""Notebook 03's self-supervised models (SimCLR, ESSL, DUET) trained by data-parallel processes.

    torchrun --nproc_per_node 2 -m eqlib.experiments.duet --method duet --seed 0 --scale full
    python -m eqlib.experiments.duet --method simclr --digits 60000 --epochs 100 --batch 512

Every rank holds the whole model; each global batch of ``--batch`` digits is split evenly over
the ranks, and DistributedDataParallel averages the gradients, so the ranks stay identical. Rank
0 writes the checkpoint under the key notebook 03's ``train_method`` builds for the same knobs
(``notebook_config``, hashed with a fingerprint of the training digits by ``checkpoint_for``), in
``EQLIB_CACHE``; the notebook run with those knobs (``DIGITS``,
``EPOCHS``, ``BATCH``, ``SEED``, ...) then loads it instead of training.

One difference from a single process, inherent to data parallelism: NT-Xent draws its negatives
from each rank's share of the batch (``batch / N`` digits), not from the whole batch.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from eqlib import runtime
from eqlib.data import mnist_tensors
from eqlib.models.duet import DEFAULT_WEIGHTS, METHODS, TRANSFORMS, SelfSupervised
from eqlib.train import TensorBatches, TrainingDiverged, checkpoint_key, save_checkpoint

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
) -> dict[str, Any]:
    """The configuration notebook 03's ``train_method`` hashes into its checkpoint key, for these knobs."""
    weight = DEFAULT_WEIGHTS[method] if weight is None else weight
    return {"method": method, "n": digits, "features": features, "bins": bins, "weight": weight, "kappa": kappa,
            "temperature": temperature, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
            "groups": list(groups)}  # fmt: skip


def checkpoint_for(config: dict[str, Any]) -> Path:
    """The checkpoint notebook 03 loads for ``config``: its knobs and the first ``config["n"]`` training digits."""
    gray, _ = mnist_tensors("train", limit=config["n"])
    return checkpoint_key("duet", config, gray)


class _Loss(nn.Module):
    """``forward(gray)`` is the method's loss, so DistributedDataParallel sees a forward pass to synchronise."""

    def __init__(self, model: SelfSupervised) -> None:
        super().__init__()
        self.model = model

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        return self.model.loss(gray)[0]


def _start() -> tuple[int, int, torch.device]:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1), or run alone: ``(rank, world, device)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def train(config: dict[str, Any], *, dump_dir: Path | None = None) -> Path:
    """Train one model of notebook 03 as ``config`` says, on every rank; rank 0 writes the checkpoint.

    ``dump_dir``: where each rank also saves its final weights as ``rank<r>.pt`` (for tests that
    compare the ranks). Returns the checkpoint's path.
    """
    rank, world, device = _start()
    try:
        if config["batch"] % world:
            raise ValueError(f"the batch ({config['batch']}) must split evenly over {world} processes")
        gray, _ = mnist_tensors("train", limit=config["n"])
        torch.manual_seed(config["seed"])  # the notebook's initial weights for this seed
        model = SelfSupervised(config["method"], features=config["features"], bins=config["bins"],
                               weight=config["weight"], kappa=config["kappa"], temperature=config["temperature"],
                               groups=tuple(config["groups"])).to(device)  # fmt: skip
        loss_module = _Loss(model)
        engine = DistributedDataParallel(loss_module) if world > 1 else loss_module
        optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
        batches = TensorBatches(gray, batch_size=config["batch"], seed=config["seed"])  # one order on every rank
        torch.manual_seed(config["seed"] * 1000 + rank)  # each rank draws its own random views
        history: list[dict[str, float]] = []
        for epoch in range(config["epochs"]):
            model.train()
            for (batch,) in batches(epoch):
                share = batch[rank::world].to(device)
                loss = engine(share)
                value = float(loss.detach())
                if not torch.isfinite(loss.detach()):
                    raise TrainingDiverged(f"rank {rank}: loss became {value} at epoch {epoch}; lower --lr")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                history.append({"epoch": epoch, "step": len(history), "loss": value})
        if world > 1:  # BatchNorm's running statistics saw each rank's own share: take rank 0's everywhere
            for buffer in model.buffers():
                dist.broadcast(buffer, src=0)
        model.eval()
        path = checkpoint_for(config)
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": config["epochs"],
                 "history": history}  # fmt: skip
        if rank == 0:
            save_checkpoint(path, state)
        if dump_dir is not None:
            save_checkpoint(Path(dump_dir) / f"rank{rank}.pt", {"model": model.state_dict()})
        if world > 1:
            dist.barrier()
        return path
    finally:
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()


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
    parser.add_argument("--dump-ranks", type=Path, help="also save each rank's final weights in this folder")
    args = parser.parse_args(argv)
    sizes = {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in SCALES[args.scale].items()}
    config = notebook_config(args.method, seed=args.seed, weight=args.weight, groups=args.groups, **sizes)
    runtime.seed_everything(args.seed)
    path = train(config, dump_dir=args.dump_ranks)
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
