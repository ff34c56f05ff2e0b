import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import torch

from eqlib.viz import capsule_activations_plotly, capsule_traversal_figure, feature_rows, image_grid, plot_history
from eqlib.widgets import latent_traversal, slider_explorer, sliders_explorer, text_explorer


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
        image_grid([torch.rand(2, 4, 4)])


def test_image_grid_shows_rgb_images_channels_last():
    fig = image_grid([torch.rand(3, 5, 6)])
    assert fig.get_axes()[0].images[0].get_array().shape == (5, 6, 3)
    plt.close(fig)


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


def test_sliders_explorer_passes_all_values_in_order_on_every_change():
    calls = []
    box = sliders_explorer(lambda a, b: calls.append((a, b)), {"a": (0, 3), "b": (-1.0, 1.0, 0.5, 0.25)})
    assert calls == [(0, 0.5)]
    box.sliders["b"].value = -0.25
    box.sliders["a"].value = 2
    assert calls == [(0, 0.5), (0, -0.25), (2, -0.25)]
    assert type(box.sliders["a"]).__name__ == "IntSlider" and type(box.sliders["b"]).__name__ == "FloatSlider"


def test_sliders_explorer_bad_specs():
    with pytest.raises(ValueError, match="at least one"):
        sliders_explorer(lambda: None, {})
    with pytest.raises(ValueError, match=r"'a'.*\(min, max"):
        sliders_explorer(lambda a: None, {"a": (0,)})
    with pytest.raises(ValueError, match="'a': range is empty"):
        sliders_explorer(lambda a: None, {"a": (2, 1)})


def identity_decoder(latents):
    """(B, C, D) -> (B, 1, C, D) images: the latent itself, so a roll is visible in the picture."""
    return latents.unsqueeze(1).clamp(0, 1)


def test_capsule_traversal_rolls_the_capsules_and_moves_one_unit():
    latent = torch.zeros(2, 4)
    latent[0, 0] = latent[1, 2] = 1.0
    fig = capsule_traversal_figure(identity_decoder, latent, latent[None], shift=1, unit=3, offset=0.5)
    rolled, moved = (ax.images[0].get_array() for ax in fig.get_axes()[1:3])
    assert rolled[0].tolist() == [0, 1, 0, 0] and rolled[1].tolist() == [0, 0, 0, 1]
    assert moved[0].tolist() == [0, 1, 0, 0.5]
    plt.close(fig)
    with pytest.raises(ValueError, match="unit must lie"):
        capsule_traversal_figure(identity_decoder, latent, latent[None], shift=0, unit=8, offset=0.0)


def test_latent_traversal_widget_redraws_when_sliders_move(monkeypatch):
    drawn = []

    def recording_figure(decode, latent, image, shift, unit, offset, unit_scale):
        drawn.append((latent, shift, unit, offset))
        return capsule_traversal_figure(decode, latent, image, shift, unit, offset, unit_scale)

    monkeypatch.setattr("eqlib.widgets.capsule_traversal_figure", recording_figure)
    latents = torch.rand(3, 2, 4)
    box = latent_traversal(identity_decoder, latents, latents.unsqueeze(1), unit_scale=torch.ones(2, 4))
    assert set(box.sliders) == {"digit", "roll", "unit", "offset"}
    assert box.sliders["roll"].max == 3 and box.sliders["unit"].max == 7 and box.sliders["digit"].max == 2
    box.sliders["roll"].value = 2
    box.sliders["digit"].value = 1
    box.sliders["offset"].value = 1.5
    assert [d[1:] for d in drawn] == [(0, 0, 0.0), (2, 0, 0.0), (2, 0, 0.0), (2, 0, 1.5)]
    assert torch.equal(drawn[-1][0], latents[1])
    plt.close("all")
    with pytest.raises(ValueError, match="same N"):
        latent_traversal(identity_decoder, latents, torch.rand(2, 1, 2, 4))


def test_capsule_activations_plotly_has_one_frame_per_step_and_unit_length_capsules():
    t = torch.rand(5, 3, 4) + 0.1
    fig = capsule_activations_plotly(t)
    assert len(fig.frames) == 5 and len(fig.layout.sliders[0].steps) == 5
    first = torch.tensor(fig.frames[0].data[0].z)
    torch.testing.assert_close(first.norm(dim=1), torch.ones(3, dtype=first.dtype))
    with pytest.raises(ValueError, match=r"\(S, C, D\)"):
        capsule_activations_plotly(torch.rand(3, 4))
