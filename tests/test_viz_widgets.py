import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from eqlib.viz import feature_rows, image_grid, plot_history
from eqlib.widgets import slider_explorer, text_explorer


def test_image_grid_lays_out_images_with_titles():
    fig = image_grid([torch.rand(1, 5, 5) for _ in range(5)], titles=list("abcde"), ncols=3)
    axes = fig.get_axes()
    assert len(axes) == 6 and [a.get_title() for a in axes[:5]] == list("abcde")
    plt.close(fig)


def test_image_grid_bad_inputs():
    with pytest.raises(ValueError, match="at least one image"):
        image_grid([])
    with pytest.raises(ValueError, match="2 titles for 1 images"):
        image_grid([torch.rand(4, 4)], titles=["a", "b"])
    with pytest.raises(ValueError, match="single-channel image"):
        image_grid([torch.rand(3, 4, 4)])


def test_feature_rows_share_a_colour_scale_per_row_and_allow_gaps():
    fig = feature_rows({"a": [torch.zeros(3, 3), torch.ones(3, 3)], "b": [torch.rand(3, 3), None]})
    first = fig.get_axes()[0].images[0]
    assert first.get_clim() == (0.0, 1.0)
    assert len(fig.get_axes()[3].images) == 0
    plt.close(fig)
    with pytest.raises(ValueError, match="no maps"):
        feature_rows({"empty": [None]})


def test_plot_history_draws_one_smoothed_line_per_run():
    history = [{"loss": float(i)} for i in range(50)]
    ax = plot_history({"a": history, "b": history[:10]}, smooth=5)
    lines = ax.get_lines()
    assert len(lines) == 2 and len(lines[0].get_xdata()) == 46
    plt.close(ax.figure)


def test_slider_explorer_renders_on_start_and_on_every_change():
    calls = []

    def render(k):
        calls.append(k)

    box = slider_explorer(render, min=0, max=3, description="turns")
    assert calls == [0]
    assert box.slider.continuous_update is False
    box.slider.value = 2
    box.slider.value = 3
    assert calls == [0, 2, 3]


def test_slider_explorer_bad_ranges():
    with pytest.raises(ValueError, match="empty"):
        slider_explorer(lambda k: None, min=3, max=1)
    with pytest.raises(ValueError, match="must lie in"):
        slider_explorer(lambda k: None, min=0, max=3, value=5)


def test_float_bounds_give_a_float_slider():
    seen = []
    box = slider_explorer(lambda t: seen.append(t), min=0.0, max=1.0, value=0.5, step=0.1)
    box.slider.value = 0.8
    assert type(box.slider).__name__ == "FloatSlider" and seen == [0.5, 0.8]


def test_text_explorer_renders_each_submitted_text_and_reports_rejected_input(capsys):
    seen = []

    def render(text):
        if not text.isalpha():
            raise ValueError("letters only")
        seen.append(text)

    box = text_explorer(render, value="abc", description="sequence")
    assert seen == ["abc"] and box.text.continuous_update is False
    box.text.value = "abd"
    assert seen == ["abc", "abd"]
    box.text.value = "ab1"  # rejected: shown as a message, no exception escapes the callback
    assert seen == ["abc", "abd"]
    assert "letters only" in capsys.readouterr().out  # outside a kernel the output area prints to stdout
