"""Plotting helpers (matplotlib, and plotly where a figure should stay interactive without a kernel)
used across notebooks. Each returns the figure it drew."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots


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


CATEGORY_COLOURS = (
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)


def _d_map_arrays(d_maps: Mapping[str, torch.Tensor | np.ndarray]) -> dict[str, np.ndarray]:
    """Check that every map is ``(grid, grid)`` with one shared shape and return NumPy arrays."""
    if not d_maps:
        raise ValueError("expected at least one d-map")
    arrays = {
        name: (m.detach().cpu().numpy() if isinstance(m, torch.Tensor) else np.asarray(m)) for name, m in d_maps.items()
    }
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"expected d-maps (grid, grid) of one shape, got {sorted(shapes)}")
    if len(arrays) > len(CATEGORY_COLOURS):
        raise ValueError(f"at most {len(CATEGORY_COLOURS)} categories can be coloured, got {len(arrays)}")
    return arrays


def selectivity_maps(
    rows: Mapping[str, Mapping[str, torch.Tensor | np.ndarray]],
    limit: float | None = None,
    size: float = 2.3,
    title: str = "Cohen's d per unit (category vs the rest)",
) -> plt.Figure:
    """Cohen's d maps as seaborn heatmaps: one row per model, one column per category.

    ``rows = {"TVAE": {"faces": d_map, ...}, "VAE": {...}}`` with maps ``(grid, grid)``. All
    panels share one diverging colour scale symmetric about 0 (``limit`` or the largest |d|),
    so red regions of different models and categories can be compared directly.
    """
    import seaborn as sns

    if not rows:
        raise ValueError("selectivity_maps needs at least one row")
    arrays = {name: _d_map_arrays(maps) for name, maps in rows.items()}
    limit = limit or max(float(np.abs(a).max()) for maps in arrays.values() for a in maps.values())
    ncols = max(len(maps) for maps in arrays.values())
    fig, axes = plt.subplots(len(arrays), ncols, figsize=(size * ncols + 1.0, size * len(arrays)), squeeze=False)
    for axes_row, (model, maps) in zip(axes, arrays.items()):
        for j, ax in enumerate(axes_row):
            if j >= len(maps):
                ax.set_axis_off()
                continue
            category, d_map = list(maps.items())[j]
            sns.heatmap(
                d_map,
                ax=ax,
                cmap="RdBu_r",
                vmin=-limit,
                vmax=limit,
                center=0,
                square=True,
                xticklabels=False,
                yticklabels=False,
                cbar=j == len(maps) - 1,
            )
            ax.set_title(category if model == next(iter(arrays)) else "", fontsize=10)
        axes_row[0].set_ylabel(model, fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def selective_units_image(
    d_maps: Mapping[str, torch.Tensor | np.ndarray], threshold: float = 0.85
) -> tuple[np.ndarray, np.ndarray]:
    """RGB map ``(grid, grid, 3)`` of selective units (``d >= threshold``) and the count per unit.

    A unit selective for one category takes its colour; for several, the mean of their
    colours; for none, light grey.
    """
    from matplotlib.colors import to_rgb

    arrays = _d_map_arrays(d_maps)
    selective = np.stack([a >= threshold for a in arrays.values()])  # (K, grid, grid)
    colours = np.array([to_rgb(c) for c in CATEGORY_COLOURS[: len(arrays)]])  # (K, 3)
    count = selective.sum(0)
    mixed = np.einsum("kij,kc->ijc", selective.astype(float), colours) / np.maximum(count, 1)[..., None]
    image = np.where(count[..., None] > 0, mixed, 0.92)
    return image, count


def torus_centroid(mask: np.ndarray) -> tuple[float, float] | None:
    """Circular mean position ``(row, col)`` of the true cells of a torus mask, or None if empty."""
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return None

    def circular_mean(positions: np.ndarray, period: int) -> float:
        angle = np.angle(np.exp(2j * np.pi * positions / period).mean())
        return float(angle % (2 * np.pi) * period / (2 * np.pi))

    return circular_mean(rows, mask.shape[0]), circular_mean(cols, mask.shape[1])


def selective_units_figure(
    d_maps: Mapping[str, torch.Tensor | np.ndarray], threshold: float = 0.85, title: str = ""
) -> plt.Figure:
    """Left: every unit coloured by the categories it is selective for (mixed colours for several).
    Right: the outline of each category's selective region (``d = threshold``) and its centroid
    on the torus, all categories overlaid."""
    from matplotlib.patches import Patch

    arrays = _d_map_arrays(d_maps)
    image, count = selective_units_image(arrays, threshold)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2))
    axes[0].imshow(image)
    axes[0].set_title(f"selective units (d >= {threshold:g}); {int((count > 1).sum())} for several", fontsize=10)
    axes[1].imshow(np.full_like(image, 0.97))
    for (name, d_map), colour in zip(arrays.items(), CATEGORY_COLOURS):
        if (d_map >= threshold).any() and (d_map < threshold).any():
            axes[1].contour(d_map, levels=[threshold], colors=[colour], linewidths=1.8)
        centre = torus_centroid(d_map >= threshold)
        if centre is not None:
            axes[1].plot(centre[1], centre[0], marker="o", markersize=11, color=colour, markeredgecolor="k")
    axes[1].set_xlim(-0.5, image.shape[1] - 0.5)
    axes[1].set_ylim(image.shape[0] - 0.5, -0.5)
    axes[1].set_title("where each category's selective units cluster", fontsize=10)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    handles = [Patch(color=c, label=n) for n, c in zip(arrays, CATEGORY_COLOURS)]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def unit_drivers_figure(
    d_map: torch.Tensor,
    activations: torch.Tensor,
    images: torch.Tensor,
    labels: torch.Tensor,
    names: Sequence[str],
    unit: tuple[int, int],
    threshold: float = 0.85,
    top: int = 8,
) -> plt.Figure:
    """One category's d-map with units below ``threshold`` greyed and ``unit`` marked, beside the
    ``top`` images that drive that unit most. The title counts the units at or above the
    threshold, so the figure says what the threshold keeps even when it keeps none.

    Args:
        d_map: ``(grid, grid)``; activations: ``(N, grid, grid)`` of the images ``(N, channels, H, W)``;
        labels: ``(N,)`` indices into ``names``; unit: ``(row, col)`` on the map.
    """
    if activations.dim() != 3 or activations.shape[1:] != d_map.shape:
        raise ValueError(
            f"expected activations (N, {d_map.shape[0]}, {d_map.shape[1]}), got {tuple(activations.shape)}"
        )
    if len(images) != len(activations) or labels.shape != (len(activations),):
        raise ValueError("activations, images and labels must describe the same N images")
    row, col = unit
    if not (0 <= row < d_map.shape[0] and 0 <= col < d_map.shape[1]):
        raise ValueError(f"unit must lie on the {d_map.shape[0]} x {d_map.shape[1]} map, got {unit}")
    order = activations[:, row, col].argsort(descending=True)[:top]
    fig = plt.figure(figsize=(3.2 + 1.3 * top / 2, 3.4))
    grid_spec = fig.add_gridspec(2, 2 + top // 2 + top % 2, width_ratios=[1.3, 1.3] + [1] * (top // 2 + top % 2))
    ax = fig.add_subplot(grid_spec[:, :2])
    limit = float(d_map.abs().max())
    shown = np.ma.masked_where(d_map.numpy() < threshold, d_map.numpy())
    ax.imshow(np.full(d_map.shape, 0.9), cmap="gray", vmin=0, vmax=1)
    ax.imshow(shown, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.add_patch(plt.Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="k", linewidth=2))
    selective = int((d_map >= threshold).sum())
    ax.set_title(
        f"unit ({row}, {col}): d = {float(d_map[row, col]):+.2f}\n"
        f"{selective} of {d_map.numel()} units with d >= {threshold:.2f}",
        fontsize=10,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for k, index in enumerate(order.tolist()):
        image_ax = fig.add_subplot(grid_spec[k % 2, 2 + k // 2])
        image_ax.imshow(_to_image(images[index]), cmap="gray")
        image_ax.set_title(names[int(labels[index])], fontsize=8)
        image_ax.axis("off")
    fig.tight_layout()
    return fig


def duet_matrix_figure(
    image: torch.Tensor,
    matrix: torch.Tensor,
    structure: torch.Tensor,
    target: torch.Tensor | None = None,
    names: Sequence[str] = ("rotation", "hue"),
) -> plt.Figure:
    """An input image ``(3, H, W)``, DUET's matrices ``(K, G, C)`` as heatmaps and their bin distributions ``(K, G)``.

    Rows of a matrix are the ``G`` bins of one transformation, columns the ``C`` content
    channels; the bar chart beside it is the softmax of the row means, with the binned target
    of the true parameter (``target``, ``(K, G)``) as a line.
    """
    if matrix.dim() != 3 or structure.shape != matrix.shape[:2] or len(names) != matrix.shape[0]:
        raise ValueError(
            f"expected matrix (K, G, C), structure (K, G) and K names, got {tuple(matrix.shape)}, "
            f"{tuple(structure.shape)} and {len(names)} names"
        )
    groups, bins = structure.shape
    fig, axes = plt.subplots(
        1, 1 + 2 * groups, figsize=(2.0 + 5.2 * groups, 2.6), gridspec_kw={"width_ratios": [1] + [2.2, 1] * groups}
    )
    axes[0].imshow(_to_image(image))
    axes[0].axis("off")
    axes[0].set_title("input", fontsize=10)
    limit = float(matrix.abs().max())
    for k, name in enumerate(names):
        heat, bars = axes[1 + 2 * k], axes[2 + 2 * k]
        shown = heat.imshow(matrix[k].detach().cpu().numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        fig.colorbar(shown, ax=heat, fraction=0.05, pad=0.02, label="entry")
        heat.set_title(f"{name}: {bins} bins x {matrix.shape[2]} channels", fontsize=10)
        heat.set_ylabel("bin g")
        heat.set_xlabel("content channel c")
        bars.barh(range(bins), structure[k].detach().cpu().numpy(), color="tab:blue", label="softmax of row means")
        if target is not None:
            bars.plot(target[k].detach().cpu().numpy(), range(bins), color="tab:red", marker="o", label="target")
        bars.set_ylim(bins - 0.5, -0.5)
        bars.set_xlim(0, 1)
        bars.set_yticks([])
        bars.set_title("bin distribution", fontsize=10)
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def generation_figure(images: Mapping[str, torch.Tensor], title: str | None = None, size: float = 1.8) -> plt.Figure:
    """One row of labelled RGB images ``(3, H, W)``, e.g. the truth next to what each method generates."""
    if not images:
        raise ValueError("generation_figure needs at least one image")
    return image_grid(list(images.values()), titles=list(images), size=size, suptitle=title)


def duet_matrix_plotly(
    matrix: torch.Tensor, names: Sequence[str] = ("rotation",), title: str = "DUET matrix"
) -> go.Figure:
    """DUET's matrices ``(K, G, C)`` of one image as interactive heatmaps, one per group.

    Hovering over an entry shows its bin ``g`` (and the part of the circle it covers), its
    content channel ``c`` and its value; the colour scale is symmetric about 0, as in
    ``duet_matrix_figure``, its static twin.
    """
    if matrix.dim() != 3 or len(names) != matrix.shape[0]:
        raise ValueError(
            f"expected one image's matrices (K, G, C) and K names, got {tuple(matrix.shape)}, {len(names)}"
        )
    values = matrix.detach().cpu().numpy()
    groups, bins, channels = values.shape
    limit = float(np.abs(values).max()) or 1.0
    bin_labels = [f"bin {g} ({360 * (g - 0.5) / bins:.0f} to {360 * (g + 0.5) / bins:.0f} deg)" for g in range(bins)]
    fig = make_subplots(rows=groups, cols=1, subplot_titles=[f"{n}: {bins} bins x {channels} channels" for n in names])
    for k in range(groups):
        fig.add_trace(
            go.Heatmap(
                z=values[k],
                x=list(range(channels)),
                y=bin_labels,
                zmin=-limit,
                zmax=limit,
                colorscale="RdBu_r",
                colorbar={"title": "entry"},
                hovertemplate="%{y}<br>channel %{x}<br>entry %{z:.3f}<extra></extra>",
            ),
            row=k + 1,
            col=1,
        )
        fig.update_xaxes(title_text="content channel c", row=k + 1, col=1)
    fig.update_layout(title=title, height=260 * groups + 80, width=760)
    return fig


def capsule_surface_plotly(t: torch.Tensor, title: str = "one capsule over a sequence") -> go.Figure:
    """One capsule of one sequence ``(S, D)`` as a 3-D surface over (frame, unit), to rotate by dragging.

    Each frame's capsule is scaled to unit length (as in the equivariance error). An
    equivariant capsule shows a ridge running diagonally: its peak moves one unit per frame.
    The static twin is the (frame x unit) image of the same capsule.
    """
    if t.dim() != 2:
        raise ValueError(f"expected one capsule over a sequence (S, D), got {tuple(t.shape)}")
    unit = (t / t.norm(dim=-1, keepdim=True).clamp_min(1e-8)).detach().cpu().numpy()
    frames, units = unit.shape
    fig = go.Figure(
        go.Surface(
            z=unit,
            x=list(range(units)),
            y=list(range(frames)),
            colorscale="Viridis",
            colorbar={"title": "activation"},
            hovertemplate="frame %{y}<br>unit %{x}<br>activation %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        scene={"xaxis_title": "unit within capsule", "yaxis_title": "frame", "zaxis_title": "activation"},
        height=480,
        width=620,
    )
    return fig


def d_map_plotly(d_maps: Mapping[str, torch.Tensor | np.ndarray], title: str = "Cohen's d per unit") -> go.Figure:
    """Cohen's d maps ``(grid, grid)`` of one model as one heatmap with a menu over the categories.

    Hovering shows a unit's position on the torus and its d; the colour scale is symmetric
    about 0 and shared by all categories, as in ``selectivity_maps``, its static twin.
    """
    arrays = _d_map_arrays(d_maps)
    limit = max(float(np.abs(a).max()) for a in arrays.values()) or 1.0
    names = list(arrays)
    fig = go.Figure(
        [
            go.Heatmap(
                z=arrays[name],
                zmin=-limit,
                zmax=limit,
                colorscale="RdBu_r",
                colorbar={"title": "d"},
                visible=i == 0,
                name=name,
                hovertemplate=f"{name}<br>row %{{y}}, column %{{x}}<br>d %{{z:.2f}}<extra></extra>",
            )
            for i, name in enumerate(names)
        ]
    )
    buttons = [
        {"label": name, "method": "update", "args": [{"visible": [j == i for j in range(len(names))]}]}
        for i, name in enumerate(names)
    ]
    fig.update_layout(
        title=title,
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 1.0, "xanchor": "right", "y": 1.15}],
        yaxis={"autorange": "reversed", "scaleanchor": "x"},
        height=460,
        width=520,
    )
    return fig
