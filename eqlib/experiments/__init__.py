"""Training scripts past one device: ``torchrun --nproc_per_node N -m eqlib.experiments.<notebook>``.

Each script trains what a notebook trains, with PyTorch's DistributedDataParallel (NCCL on GPUs,
gloo on CPUs), and writes the checkpoint that the notebook's load-or-train step reads for the same
knobs, so a model trained on a cluster opens in the notebook without training. Run with plain
``python -m`` the same script trains in one process.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
import torch.distributed as dist

from eqlib.train import save_checkpoint


def start_process_group() -> tuple[int, int, torch.device]:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1), or run alone: ``(rank, world, device)``.

    Each rank takes the GPU ``LOCAL_RANK`` where CUDA is present (NCCL), else the CPU (gloo).
    """
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    device = torch.device("cpu")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def run_on_every_rank(
    train: Callable[[torch.device, bool], tuple[torch.nn.Module, Path]],
    batch: int,
    dump_ranks: Path | None = None,
) -> Path:
    """Join the process group, call ``train(device, progress)`` on every rank, and leave the group.

    ``train`` returns the trained model and its checkpoint (written by rank 0 inside ``fit``);
    ``batch`` is the global batch, which must split evenly over the ranks. ``dump_ranks``: a
    folder where each rank also saves its final weights as ``rank<r>.pt`` (for tests that
    compare the ranks). Returns the checkpoint's path.
    """
    rank, world, device = start_process_group()
    try:
        if batch % world:
            raise ValueError(f"the batch ({batch}) must split evenly over {world} processes")
        model, path = train(device, rank == 0)
        if dump_ranks is not None:
            save_checkpoint(Path(dump_ranks) / f"rank{rank}.pt", {"model": model.state_dict()})
        if rank == 0:
            print(f"checkpoint (trained, or loaded where it already held every epoch): {path}")
        return path
    finally:
        if world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def add_scale_arguments(parser: argparse.ArgumentParser, scales: Mapping[str, Mapping[str, int]]) -> None:
    """``--scale``, one ``--<knob>`` override per size of the scales, and ``--dump-ranks``."""
    parser.add_argument("--scale", choices=tuple(scales), default="full")
    for knob in scales["full"]:
        parser.add_argument(f"--{knob.replace('_', '-')}", type=int, help=f"{knob} (overrides the scale)")
    parser.add_argument("--dump-ranks", type=Path, help="also save each rank's final weights in this folder")


def chosen_sizes(args: argparse.Namespace, scales: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """The sizes of ``args.scale``, each replaced by its command-line override where one was given."""
    return {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in scales[args.scale].items()}
