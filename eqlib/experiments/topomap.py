"""Notebook 05's topographic maps (the torus TVAE, its one-unit control, the VAE) trained by one or many processes.

    torchrun --nproc_per_node 2 -m eqlib.experiments.topomap --arm tvae --seed 0 --scale paper
    python -m eqlib.experiments.topomap --arm vae --data mnist --scale paper

Notebook 05 trains every map through ``train_topomap``, so a checkpoint this script writes (rank 0,
in ``EQLIB_CACHE``) is the one the notebook, run with the same knobs (``GRID``, ``PER_CLASS``,
``EPOCHS``, ``BATCH``, ``HIDDEN``, ``SEED``, ...), loads instead of training. Under ``torchrun``
``fit`` is data-parallel (``eqlib.train``): each global batch is shared by the ranks.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from eqlib.data import category_images, mnist_tensors
from eqlib.experiments import add_scale_arguments, chosen_sizes, run_on_every_rank
from eqlib.models import TopographicMapVAE
from eqlib.train import TensorBatches, checkpoint_key, fit

# Notebook 05's knobs per scale: its fast and full modes, and its paper preset (eqlib.scales).
SCALES: dict[str, dict[str, int]] = {
    "fast": {"per_class": 500, "epochs": 8, "hidden": 128, "batch": 32, "grid": 16, "mnist_digits": 1_000},
    "full": {"per_class": 1_000, "epochs": 30, "hidden": 256, "batch": 64, "grid": 16, "mnist_digits": 6_000},
    "paper": {"per_class": 5_000, "epochs": 100, "hidden": 256, "batch": 128, "grid": 18, "mnist_digits": 48_000},
}
# The knobs of notebook 05's parameters cell that no scale changes.
FIXED = {"width": 5, "mu_init": 10.0, "lr": 1e-3}
# The three maps of the notebook: (topographic, neighbourhood width); None = the notebook's WIDTH.
ARMS: dict[str, tuple[bool, int | None]] = {"tvae": (True, None), "one-unit": (True, 1), "vae": (False, None)}


def topomap_checkpoint(
    images: torch.Tensor,
    *,
    topographic: bool,
    grid: int,
    width: int,
    mu_init: float,
    hidden: int,
    epochs: int,
    batch: int,
    lr: float,
    seed: int,
) -> Path:
    """The checkpoint ``train_topomap`` reads and writes for these knobs and ``images`` (every knob in its key)."""
    warmup_steps = max(1, epochs // 3) * -(-len(images) // batch)
    config = {"topographic": topographic, "grid": grid, "width": width, "warmup_steps": warmup_steps, "mu": mu_init,
              "hidden": hidden, "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
              "warmup": "global step"}  # fmt: skip
    return checkpoint_key("topomap", config, images)


def train_topomap(
    images: torch.Tensor,
    *,
    name: str,
    device: torch.device | str | None = None,
    progress: bool = True,
    **knobs: Any,
) -> tuple[TopographicMapVAE, list[dict[str, float]]]:
    """Train (or load) one map of notebook 05 on ``images`` ``(N, C, H, W)``: ``(model, history)``.

    ``knobs`` are those of ``topomap_checkpoint``. The loss is the negative ELBO with a KL weight
    rising linearly from 0 to 1 over the first third of the epochs, in global steps (a resumed run
    continues it); ``seed`` fixes the initial weights and the batch order.
    """
    if images.dim() != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
    checkpoint = topomap_checkpoint(images, **knobs)
    epochs, batch, seed = knobs["epochs"], knobs["batch"], knobs["seed"]
    torch.manual_seed(seed)
    model = TopographicMapVAE(knobs["grid"], knobs["width"], topographic=knobs["topographic"], mu_init=knobs["mu_init"],
                              hidden=knobs["hidden"], image_shape=tuple(images.shape[1:]))  # fmt: skip
    warmup_steps = max(1, epochs // 3) * -(-len(images) // batch)

    def loss(model: TopographicMapVAE, batch_: tuple[torch.Tensor], step: int) -> Any:
        return model.loss(batch_[0], kl_weight=min(1.0, (step + 1) / warmup_steps))

    history = fit(model, TensorBatches(images, batch_size=batch, seed=seed), loss, epochs=epochs, lr=knobs["lr"],
                  device=device, checkpoint=checkpoint, desc=name, progress=progress)  # fmt: skip
    return model.eval(), history


def training_images(data: str, sizes: dict[str, int], data_seed: int) -> torch.Tensor:
    """Notebook 05's training images: its category drawings (seed ``data_seed``) or its MNIST digits."""
    if data == "categories":
        return category_images(sizes["per_class"], seed=data_seed, noise=0.0)[0]
    if data == "mnist":
        return mnist_tensors("train", limit=sizes["mnist_digits"])[0]
    raise ValueError(f"data must be 'categories' or 'mnist', got {data!r}")


def script_knobs(arm: str, data: str, sizes: dict[str, int], seed: int) -> dict[str, Any]:
    """The knobs of ``train_topomap`` for one arm and scale, as notebook 05 passes them (MNIST: half the epochs)."""
    topographic, width = ARMS[arm]
    epochs = sizes["epochs"] if data == "categories" else max(1, sizes["epochs"] // 2)
    return {"topographic": topographic, "grid": sizes["grid"], "width": width or FIXED["width"],
            "mu_init": FIXED["mu_init"], "hidden": sizes["hidden"], "epochs": epochs, "batch": sizes["batch"],
            "lr": FIXED["lr"], "seed": seed}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> Path:
    """Train one of notebook 05's maps; returns the checkpoint's path."""
    parser = argparse.ArgumentParser(prog="python -m eqlib.experiments.topomap", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arm", choices=tuple(ARMS), required=True)
    parser.add_argument("--data", choices=("categories", "mnist"), default="categories",
                        help="mnist: section 8's maps (tvae or vae, half the epochs, seed SEED)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="model seed (notebook 05's seeds are SEED, SEED + 1, ...)")
    parser.add_argument("--data-seed", type=int, default=0, help="notebook 05's SEED, which draws its categories")
    add_scale_arguments(parser, SCALES)
    args = parser.parse_args(argv)
    if args.data == "mnist" and args.arm == "one-unit":
        parser.error("section 8 trains the TVAE and the VAE on MNIST, not the one-unit control")
    sizes = chosen_sizes(args, SCALES)
    images = training_images(args.data, sizes, args.data_seed)
    knobs = script_knobs(args.arm, args.data, sizes, args.seed)

    def train(device: torch.device, progress: bool) -> tuple[TopographicMapVAE, Path]:
        model, _ = train_topomap(images, name=f"{args.arm} ({args.data}, seed {args.seed})", device=device,
                                 progress=progress, **knobs)  # fmt: skip
        return model, topomap_checkpoint(images, **knobs)

    return run_on_every_rank(train, sizes["batch"], args.dump_ranks)


if __name__ == "__main__":
    main()
