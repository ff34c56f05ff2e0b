"""Interactive explorers: a pure render function driven by ipywidgets controls.

Every explorer takes a render function that draws from its arguments alone, so the same
function makes the static figure committed with a notebook and the live widget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from eqlib.viz import capsule_traversal_figure, duet_matrix_figure, generation_figure, unit_drivers_figure


def _explorer(controls: Sequence[widgets.ValueWidget], render: Callable) -> widgets.VBox:
    """``controls`` above an output area that shows ``render(*values)`` now and after every change."""
    output = widgets.Output()

    def redraw(change: dict | None = None) -> None:
        output.clear_output(wait=True)
        with output:
            if render(*(control.value for control in controls)) is not None:
                plt.show()

    for control in controls:
        control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([*controls, output])
    box.output = output
    return box


def _slider(min: float, max: float, value: float | None, step: float, description: str) -> widgets.ValueWidget:
    """An ``IntSlider`` for integer bounds and step, else a ``FloatSlider``; redraws on release."""
    if min > max:
        raise ValueError(f"slider {description!r}: range is empty, min={min} > max={max}")
    start = min if value is None else value
    if not min <= start <= max:
        raise ValueError(f"slider {description!r}: value must lie in [{min}, {max}], got {start}")
    is_int = all(isinstance(v, int) for v in (min, max, step, start))
    kind = widgets.IntSlider if is_int else widgets.FloatSlider
    return kind(value=start, min=min, max=max, step=step, description=description, continuous_update=False)


def slider_explorer(
    render: Callable[[float], plt.Figure | None],
    *,
    min: float,
    max: float,
    value: float | None = None,
    step: float = 1,
    description: str = "value",
) -> widgets.VBox:
    """A slider above an output area that shows ``render(slider.value)``.

    Integer bounds and step give an ``IntSlider``, any float a ``FloatSlider``. The figure is
    redrawn when the slider is released (``continuous_update=False``). Returns a ``VBox``
    whose ``.slider`` and ``.output`` attributes give access to both parts.
    """
    slider = _slider(min, max, value, step, description)
    box = _explorer([slider], render)
    box.slider = slider
    return box


def text_explorer(
    render: Callable[[str], plt.Figure | None], *, value: str, description: str = "input"
) -> widgets.VBox:
    """A text box above an output area that shows ``render(text)`` when Enter is pressed or focus leaves.

    A ``ValueError`` from ``render`` (input the render function rejects) is shown as a
    message instead of a traceback. Returns a ``VBox`` with ``.text`` and ``.output``.
    """
    text = widgets.Text(value=value, description=description, continuous_update=False)

    def render_or_explain(value: str) -> plt.Figure | None:
        try:
            return render(value)
        except ValueError as error:
            print(f"cannot show {value!r}: {error}")
            return None

    box = _explorer([text], render_or_explain)
    box.text = text
    return box


def sliders_explorer(render: Callable[..., plt.Figure | None], sliders: Mapping[str, tuple]) -> widgets.VBox:
    """Several sliders above one output area that shows ``render(*values)`` in the order given.

    ``sliders`` maps each description to ``(min, max)``, ``(min, max, value)`` or
    ``(min, max, value, step)``. Returns a ``VBox`` with ``.sliders`` (a dict by description)
    and ``.output``.
    """
    if not sliders:
        raise ValueError("sliders_explorer needs at least one slider")
    controls = {}
    for description, spec in sliders.items():
        if not 2 <= len(spec) <= 4:
            raise ValueError(f"slider {description!r}: expected (min, max[, value[, step]]), got {spec!r}")
        low, high, *rest = spec
        value, step = (rest[0] if rest else None), (rest[1] if len(rest) > 1 else 1)
        controls[description] = _slider(low, high, value, step, description)
    box = _explorer(list(controls.values()), render)
    box.sliders = controls
    return box


def latent_traversal(
    decode: Callable[[torch.Tensor], torch.Tensor],
    latents: torch.Tensor,
    images: torch.Tensor,
    unit_scale: torch.Tensor | None = None,
) -> widgets.VBox:
    """Sliders over a capsule latent space: pick a frame, roll every capsule, move one unit.

    Args:
        decode: latents ``(B, C, D)`` -> images ``(B, channels, H, W)`` in [0, 1].
        latents: ``(N, C, D)`` capsules of ``N`` frames; ``images``: those frames ``(N, channels, H, W)``.
        unit_scale: ``(C, D)`` step of the unit slider per unit (e.g. its standard deviation).

    The render function is ``eqlib.viz.capsule_traversal_figure``; the sliders are ``digit``,
    ``roll``, ``unit`` and ``offset`` (in units of ``unit_scale``).
    """
    if latents.dim() != 3 or images.shape[0] != latents.shape[0]:
        raise ValueError(
            f"expected latents (N, C, D) and images (N, channels, H, W) for the same N, "
            f"got {tuple(latents.shape)} and {tuple(images.shape)}"
        )
    capsule_size = latents.shape[2]

    def render(digit: int, shift: int, unit: int, offset: float) -> plt.Figure:
        return capsule_traversal_figure(decode, latents[digit], images[digit], shift, unit, offset, unit_scale)

    return sliders_explorer(
        render,
        {
            "digit": (0, latents.shape[0] - 1, 0),
            "roll": (0, capsule_size - 1, 0),
            "unit": (0, latents[0].numel() - 1, 0),
            "offset": (-3.0, 3.0, 0.0, 0.5),
        },
    )


def selectivity_explorer(
    d_maps: Mapping[str, torch.Tensor],
    activations: torch.Tensor,
    images: torch.Tensor,
    labels: torch.Tensor,
    threshold: float = 0.85,
    top: int = 8,
) -> widgets.VBox:
    """Pick a category, a d threshold and a unit; see the category's selective units and the
    images that drive the unit most.

    Args:
        d_maps: Cohen's d map ``(grid, grid)`` per category name, in label order.
        activations: ``(N, grid, grid)`` maps of the images ``(N, channels, H, W)``; labels ``(N,)``.

    The unit starts at the most selective unit of the first category. The render function is
    ``eqlib.viz.unit_drivers_figure``. Returns a ``VBox`` with ``.category``, ``.sliders``
    (``threshold``, ``row``, ``column``) and ``.output``.
    """
    if not d_maps:
        raise ValueError("selectivity_explorer needs at least one d-map")
    names = list(d_maps)
    first = d_maps[names[0]]
    grid_rows, grid_cols = first.shape
    best_row, best_col = divmod(int(first.argmax()), grid_cols)
    limit = round(max(float(m.abs().max()) for m in d_maps.values()), 1)
    category = widgets.Dropdown(options=names, value=names[0], description="category")
    sliders = {
        "threshold": _slider(0.0, max(limit, threshold), threshold, 0.05, "threshold"),
        "row": _slider(0, grid_rows - 1, best_row, 1, "row"),
        "column": _slider(0, grid_cols - 1, best_col, 1, "column"),
    }

    def render(name: str, cut: float, row: int, col: int) -> plt.Figure:
        return unit_drivers_figure(d_maps[name], activations, images, labels, names, (row, col), cut, top)

    box = _explorer([category, *sliders.values()], render)
    box.category, box.sliders = category, sliders
    return box


def _transform_sliders(digits: int) -> dict[str, tuple]:
    if digits < 1:
        raise ValueError(f"need at least one digit to show, got {digits}")
    return {"digit": (0, digits - 1, 0), "angle": (0, 350, 90, 10), "hue": (0, 350, 120, 10)}


def controlled_generation_explorer(
    generate: Callable[[int, float, float], Mapping[str, torch.Tensor]], digits: int
) -> widgets.VBox:
    """Sliders ``digit``, ``angle`` and ``hue`` (degrees) above the images ``generate(digit, angle, hue)`` returns.

    ``generate`` maps a choice to labelled RGB images ``(3, H, W)``, e.g. the truly transformed
    digit and each method's controlled generation. Returns a ``VBox`` with ``.sliders`` and ``.output``.
    """

    def render(digit: int, angle: int, hue: int) -> plt.Figure:
        return generation_figure(generate(digit, angle, hue), title=f"digit {digit}: angle {angle}°, hue {hue}°")

    return sliders_explorer(render, _transform_sliders(digits))


def duet_matrix_explorer(
    inspect: Callable[[int, float, float], tuple[torch.Tensor, ...]],
    digits: int,
    names: Sequence[str] = ("rotation", "hue"),
) -> widgets.VBox:
    """Sliders ``digit``, ``angle`` and ``hue`` (degrees) above DUET's matrices for that input.

    ``inspect(digit, angle, hue)`` returns ``(image (3, H, W), matrix (K, G, C), structure (K, G),
    target (K, G))``, drawn by ``eqlib.viz.duet_matrix_figure``. Returns a ``VBox`` with ``.sliders`` and ``.output``.
    """

    def render(digit: int, angle: int, hue: int) -> plt.Figure:
        return duet_matrix_figure(*inspect(digit, angle, hue), names=names)

    return sliders_explorer(render, _transform_sliders(digits))
