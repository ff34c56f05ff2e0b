"""Plotting helpers (matplotlib, and plotly where a figure should stay interactive without a kernel)
used across notebooks. Each returns the figure it drew."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import plotly.graph_objects as go
import torch


def _to_image(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """``(H, W)`` or ``(1, H, W)`` -> ``(H, W)``; an RGB image ``(3, H, W)`` in [0, 1] -> ``(H, W, 3)``."""
    array = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    array = np.squeeze(array)
    if array.ndim == 3 and array.shape[0] == 3:
        return np.clip(np.moveaxis(array, 0, -1), 0.0, 1.0)
    if array.ndim != 2:
        raise ValueError(f"expected a single-channel image (H, W), (1, H, W) or RGB (3, H, W), got shape {array.shape}")
    return array


def image_grid(
    images: Sequence[torch.Tensor | np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    cmap: str = "gray",
    size: float = 1.6,
    suptitle: str | None = None,
) -> plt.Figure:
    """Show images ``(H, W)`` (one colour scale each) or RGB ``(3, H, W)`` in [0, 1] in a grid."""
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


def capsule_traversal_figure(
    decode: Callable[[torch.Tensor], torch.Tensor],
    latent: torch.Tensor,
    image: torch.Tensor,
    shift: int,
    unit: int,
    offset: float,
    unit_scale: torch.Tensor | None = None,
) -> plt.Figure:
    """The input, the decode of its capsules rolled by ``shift``, and that decode with one unit moved.

    Args:
        decode: latents ``(B, C, D)`` -> images ``(B, channels, H, W)`` in [0, 1].
        latent: ``(C, D)`` capsules of one frame; ``image``: that frame ``(channels, H, W)``.
        unit: flat index ``c * D + d`` of the unit to move, by ``offset`` times ``unit_scale[unit]``
            (e.g. the unit's standard deviation over a data set; default 1).
    """
    if latent.dim() != 2:
        raise ValueError(f"latent must be one frame's capsules (C, D), got {tuple(latent.shape)}")
    if not 0 <= unit < latent.numel():
        raise ValueError(f"unit must lie in [0, {latent.numel() - 1}], got {unit}")
    rolled = torch.roll(latent, shifts=shift, dims=-1)
    moved = rolled.clone().flatten()
    moved[unit] += offset * (1.0 if unit_scale is None else float(unit_scale.flatten()[unit]))
    with torch.no_grad():
        decoded = decode(torch.stack([rolled, moved.view_as(latent)]))
    capsule, position = divmod(unit, latent.shape[1])
    return image_grid(
        [image, decoded[0], decoded[1]],
        titles=["input frame", f"capsules rolled by {shift}", f"+ unit {capsule}.{position} by {offset:+.1f}"],
        size=2.0,
    )


def capsule_activations_plotly(t: torch.Tensor, title: str = "capsule activations") -> go.Figure:
    """An interactive heatmap of one sequence's capsules ``(S, C, D)``, with a slider over the frames.

    Rows are capsules, columns units; each capsule is scaled to unit length (as in the
    equivariance error), so an equivariant representation shows its pattern rolling right by
    one column per frame.
    """
    if t.dim() != 3:
        raise ValueError(f"expected one sequence's capsules (S, C, D), got {tuple(t.shape)}")
    unit = (t / t.norm(dim=-1, keepdim=True).clamp_min(1e-8)).detach().cpu().numpy()
    low, high = float(unit.min()), float(unit.max())
    heatmaps = [go.Heatmap(z=frame, zmin=low, zmax=high, colorscale="Viridis") for frame in unit]
    fig = go.Figure(data=[heatmaps[0]], frames=[go.Frame(data=[h], name=str(i)) for i, h in enumerate(heatmaps)])
    steps = [
        {
            "args": [[str(i)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}],
            "label": str(i),
            "method": "animate",
        }
        for i in range(len(heatmaps))
    ]
    fig.update_layout(
        title=title,
        xaxis_title="unit within capsule",
        yaxis_title="capsule",
        sliders=[{"steps": steps, "currentvalue": {"prefix": "frame "}}],
        height=380,
        width=520,
    )
    return fig
