"""Notebook 04's sequence models (VAE, bubbles TVAE, TVAE) trained by one process or by data-parallel ones.

    torchrun --nproc_per_node 2 -m eqlib.experiments.tvae --kind tvae --seed 0 --scale paper
    python -m eqlib.experiments.tvae --kind vae --seed 1 --sequences 12000 --epochs 20 --batch 32

Notebook 04 trains every model through ``train_tvae``, so a checkpoint this script writes (rank 0,
in ``EQLIB_CACHE``) is the one the notebook, run with the same knobs (``SEQUENCES``, ``EPOCHS``,
``BATCH``, ``HIDDEN``, ``SEED``, ...), loads instead of training. Under ``torchrun`` ``fit`` is
data-parallel (``eqlib.train``): each global batch of ``--batch`` sequences is shared by the ranks
and DistributedDataParallel averages the gradients.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from eqlib.data import mnist_tensors, transformed_sequences
from eqlib.data.sequences import TransformedSequences
from eqlib.experiments import add_scale_arguments, chosen_sizes, run_on_every_rank
from eqlib.models import TopographicVAE
from eqlib.models.tvae import KINDS
from eqlib.train import TensorBatches, checkpoint_key, fit

# Notebook 04's training knobs per scale: its fast and full modes, and its paper preset (eqlib.scales).
SCALES: dict[str, dict[str, int]] = {
    "fast": {"sequences": 1_600, "epochs": 12, "batch": 16, "hidden": 256, "image_size": 14},
    "full": {"sequences": 3_000, "epochs": 30, "batch": 16, "hidden": 256, "image_size": 28},
    "paper": {"sequences": 12_000, "epochs": 20, "batch": 32, "hidden": 972, "image_size": 28},
}
# The knobs of notebook 04's parameters cell that no scale changes.
FIXED = {"capsules": 8, "frames": 8, "coherence": 2, "band": 1, "mu_init": 30.0, "lr": 1e-3}


def tvae_frames(data: TransformedSequences, image_size: int, channels: int = 1) -> torch.Tensor:
    """``(N, S, 3, H, W)`` RGB sequences -> ``(N, S, channels, image_size, image_size)``, area-averaged when shrunk."""
    frames = data.frames[:, :, :channels]
    if image_size != frames.shape[-1]:
        frames = F.interpolate(frames.flatten(0, 1), size=(image_size, image_size), mode="area").view(
            *frames.shape[:3], image_size, image_size
        )
    return frames.contiguous()


def rotation_frames(sequences: int, frames: int, image_size: int, data_seed: int) -> torch.Tensor:
    """Notebook 04's training data: the first ``sequences`` MNIST digits as rotating sequences ``(N, S, 1, H, W)``."""
    digits, labels = mnist_tensors("train", limit=sequences)
    return tvae_frames(transformed_sequences(digits, labels, frames, ("rotation",), seed=data_seed), image_size)


def tvae_checkpoint(
    kind: str,
    frames: torch.Tensor,
    *,
    name: str,
    capsules: int,
    coherence: int,
    band: int,
    mu_init: float,
    hidden: int,
    epochs: int,
    warmup_epochs: int,
    batch: int,
    lr: float,
    seed: int,
    data_seed: int,
) -> Path:
    """The checkpoint ``train_tvae`` reads and writes for these knobs and ``frames`` (every knob in its key)."""
    config = {"kind": kind, "n_seq": len(frames), "shape": list(frames.shape[1:]), "capsules": capsules,
              "L": coherence, "n": band, "mu": mu_init, "hidden": hidden, "epochs": epochs, "warmup": warmup_epochs,
              "batch": batch, "lr": lr, "seed": seed, "data": name, "data_seed": data_seed}  # fmt: skip
    return checkpoint_key("tvae", config, frames)


def train_tvae(
    kind: str,
    frames: torch.Tensor,
    *,
    device: torch.device | str | None = None,
    progress: bool = True,
    **knobs: Any,
) -> tuple[TopographicVAE, list[dict[str, float]]]:
    """Train (or load) one model of notebook 04 on ``frames`` ``(N, S, channels, H, W)``: ``(model, history)``.

    ``knobs`` are those of ``tvae_checkpoint`` (``name``, ``capsules``, ``coherence``, ``band``,
    ``mu_init``, ``hidden``, ``epochs``, ``warmup_epochs``, ``batch``, ``lr``, ``seed``,
    ``data_seed``). The capsules have S units (one cycle of the transformation is one full roll).
    The loss is the negative ELBO per frame with a KL weight rising linearly from 0 to 1 over
    ``warmup_epochs`` epochs of global steps (a resumed run continues the schedule). ``seed`` fixes
    the initial weights (the encoder and decoder are built first, so the three kinds of a seed
    share them) and the batch order.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if frames.dim() != 5:
        raise ValueError(f"frames must be (N, S, channels, H, W), got shape {tuple(frames.shape)}")
    checkpoint = tvae_checkpoint(kind, frames, **knobs)
    length, batch, seed = frames.shape[1], knobs["batch"], knobs["seed"]
    torch.manual_seed(seed)
    model = TopographicVAE(knobs["capsules"], length, length, kind=kind, coherence=knobs["coherence"],
                           n=knobs["band"], mu_init=knobs["mu_init"], hidden=knobs["hidden"],
                           image_shape=tuple(frames.shape[2:]))  # fmt: skip
    warmup_steps = knobs["warmup_epochs"] * -(-len(frames) // batch)

    def loss(model: TopographicVAE, batch_: tuple[torch.Tensor], step: int) -> Any:
        return model.loss(batch_[0], kl_weight=min(1.0, (step + 1) / warmup_steps))

    history = fit(model, TensorBatches(frames, batch_size=batch, seed=1_000 * seed), loss, epochs=knobs["epochs"],
                  lr=knobs["lr"], device=device, checkpoint=checkpoint,
                  desc=f"{kind} ({knobs['name']}, seed {seed})", progress=progress)  # fmt: skip
    return model.eval(), history


def script_knobs(sizes: dict[str, int], seed: int, data_seed: int) -> dict[str, Any]:
    """The knobs of ``train_tvae`` for one scale's ``sizes``, as notebook 04 passes them for the rotation models."""
    return {"name": "rotation", **{k: FIXED[k] for k in ("capsules", "coherence", "band", "mu_init", "lr")},
            "hidden": sizes["hidden"], "epochs": sizes["epochs"], "warmup_epochs": max(1, sizes["epochs"] // 3),
            "batch": sizes["batch"], "seed": seed, "data_seed": data_seed}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> Path:
    """Train one of notebook 04's models; returns the checkpoint's path."""
    parser = argparse.ArgumentParser(prog="python -m eqlib.experiments.tvae", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--seed", type=int, default=0, help="model seed (notebook 04's seeds are SEED, SEED + 1, ...)")
    parser.add_argument("--data-seed", type=int, default=0, help="notebook 04's SEED, which draws its sequences")
    add_scale_arguments(parser, SCALES)
    args = parser.parse_args(argv)
    sizes = chosen_sizes(args, SCALES)
    frames = rotation_frames(sizes["sequences"], FIXED["frames"], sizes["image_size"], args.data_seed)
    knobs = script_knobs(sizes, args.seed, args.data_seed)

    def train(device: torch.device, progress: bool) -> tuple[TopographicVAE, Path]:
        model, _ = train_tvae(args.kind, frames, device=device, progress=progress, **knobs)
        return model, tvae_checkpoint(args.kind, frames, **knobs)

    return run_on_every_rank(train, sizes["batch"], args.dump_ranks)


if __name__ == "__main__":
    main()
