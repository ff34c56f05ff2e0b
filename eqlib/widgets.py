"""Interactive explorers: a pure render function driven by ipywidgets controls.

Every explorer takes a render function that draws from its arguments alone, so the same
function makes the static figure committed with a notebook and the live widget.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt


def _explorer(control: widgets.ValueWidget, render: Callable) -> widgets.VBox:
    """``control`` above an output area that shows ``render(control.value)`` now and after every change."""
    output = widgets.Output()

    def redraw(change: dict | None = None) -> None:
        output.clear_output(wait=True)
        with output:
            if render(control.value) is not None:
                plt.show()

    control.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([control, output])
    box.output = output
    return box


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
    if min > max:
        raise ValueError(f"slider range is empty: min={min} > max={max}")
    start = min if value is None else value
    if not min <= start <= max:
        raise ValueError(f"value must lie in [{min}, {max}], got {start}")
    is_int = all(isinstance(v, int) for v in (min, max, step, start))
    kind = widgets.IntSlider if is_int else widgets.FloatSlider
    slider = kind(value=start, min=min, max=max, step=step, description=description, continuous_update=False)
    box = _explorer(slider, render)
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

    box = _explorer(text, render_or_explain)
    box.text = text
    return box
