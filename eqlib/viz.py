"""Plotting helpers (matplotlib) used across notebooks. Each returns the figure it drew."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def _to_image(x: torch.Tensor | np.ndarray) -> np.ndarray:
    array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    array = np.squeeze(array)
    if array.ndim != 2:
        raise ValueError(f"expected a single-channel image (H, W) or (1, H, W), got shape {array.shape}")
    return array


def image_grid(
    images: Sequence[torch.Tensor | np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    cmap: str = "gray",
    size: float = 1.6,
    suptitle: str | None = None,
) -> plt.Figure:
    """Show single-channel images ``(H, W)`` in a grid, one colour scale per image."""
    if len(images) == 0:
        raise ValueError("image_grid needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images")
    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(_to_image(images[i]), cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def feature_rows(
    rows: Mapping[str, Sequence[torch.Tensor | np.ndarray | None]],
    col_titles: Sequence[str] | None = None,
    size: float = 1.5,
    cmaps: Mapping[str, str] | None = None,
) -> plt.Figure:
    """One row of maps ``(H, W)`` per named model: ``rows = {"plain CNN": [map, ...], ...}``.

    Each row shares one colour scale, so a permutation along the row is visible as such;
    ``None`` leaves a cell empty. ``cmaps`` picks a colour map per row (default viridis).
    """
    if not rows:
        raise ValueError("feature_rows needs at least one row")
    ncols = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(size * ncols + 1.2, size * len(rows)), squeeze=False)
    for axes_row, (name, maps) in zip(axes, rows.items()):
        arrays = [None if m is None else _to_image(m) for m in maps]
        present = [a for a in arrays if a is not None]
        if not present:
            raise ValueError(f"row {name!r} has no maps")
        lo, hi = min(a.min() for a in present), max(a.max() for a in present)
        for j, ax in enumerate(axes_row):
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(arrays) and arrays[j] is not None:
                ax.imshow(arrays[j], cmap=(cmaps or {}).get(name, "viridis"), vmin=lo, vmax=hi)
            else:
                ax.set_frame_on(False)
        axes_row[0].set_ylabel(name, fontsize=9)
    if col_titles is not None:
        for ax, title in zip(axes[0], col_titles):
            ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    key: str = "loss",
    smooth: int = 20,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Learning curves: ``key`` against step for each named history, with a running mean over ``smooth`` steps."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, history in histories.items():
        values = np.array([h[key] for h in history], dtype=float)
        if values.size == 0:
            continue
        width = max(1, min(smooth, values.size))
        smoothed = np.convolve(values, np.ones(width) / width, mode="valid")
        ax.plot(np.arange(width - 1, values.size), smoothed, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(key)
    ax.legend()
    return ax
