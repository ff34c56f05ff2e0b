import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from eqlib.viz import (
    CATEGORY_COLOURS,
    capsule_activations_plotly,
    capsule_surface_plotly,
    capsule_traversal_figure,
    d_map_plotly,
    duet_matrix_figure,
    duet_matrix_plotly,
    feature_rows,
    image_grid,
    plot_history,
    selective_units_figure,
    selective_units_image,
    selectivity_maps,
    torus_centroid,
    unit_drivers_figure,
)
from eqlib.widgets import (
    controlled_generation_explorer,
    duet_matrix_explorer,
    latent_traversal,
    selectivity_explorer,
    slider_explorer,
    sliders_explorer,
    text_explorer,
)


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


def test_capsule_surface_plotly_draws_one_unit_length_capsule_over_frames_and_units():
    t = torch.rand(6, 5) + 0.1
    surface = capsule_surface_plotly(t).data[0]
    z = torch.tensor(surface.z)
    assert z.shape == (6, 5) and list(surface.y) == list(range(6)) and list(surface.x) == list(range(5))
    torch.testing.assert_close(z.norm(dim=1), torch.ones(6, dtype=z.dtype))
    with pytest.raises(ValueError, match=r"\(S, D\)"):
        capsule_surface_plotly(torch.rand(2, 3, 4))


def test_duet_matrix_plotly_has_one_heatmap_per_group_with_a_symmetric_scale_and_hover_values():
    matrix = torch.randn(2, 8, 4)
    fig = duet_matrix_plotly(matrix, names=("rotation", "hue"))
    assert len(fig.data) == 2 and all(h.zmin == -h.zmax == -float(matrix.abs().max()) for h in fig.data)
    assert torch.equal(torch.tensor(fig.data[1].z), matrix[1].to(torch.float64))
    assert "entry %{z" in fig.data[0].hovertemplate and fig.data[0].y[0].startswith("bin 0 (-22 to 22 deg)")
    with pytest.raises(ValueError, match="K names"):
        duet_matrix_plotly(matrix, names=("rotation",))


def test_d_map_plotly_shows_one_category_at_a_time_on_one_shared_scale():
    maps = {"faces": torch.full((3, 3), 2.0), "bodies": -torch.ones(3, 3)}
    fig = d_map_plotly(maps)
    assert [h.visible for h in fig.data] == [True, False] and {h.zmax for h in fig.data} == {2.0}
    menu = fig.layout.updatemenus[0].buttons
    assert [b.label for b in menu] == ["faces", "bodies"] and menu[1].args[0]["visible"] == [False, True]
    with pytest.raises(ValueError, match="one shape"):
        d_map_plotly({"faces": torch.zeros(3, 3), "bodies": torch.zeros(4, 4)})


def test_selectivity_maps_share_one_symmetric_colour_scale():
    rows = {
        "TVAE": {"a": torch.full((4, 4), 2.0), "b": torch.zeros(4, 4)},
        "VAE": {"a": -torch.ones(4, 4), "b": torch.ones(4, 4)},
    }
    fig = selectivity_maps(rows)
    meshes = [ax.collections[0] for ax in fig.get_axes() if ax.collections and ax.get_label() != "<colorbar>"]
    assert len(meshes) == 4 and all(m.get_clim() == (-2.0, 2.0) for m in meshes)
    plt.close(fig)
    with pytest.raises(ValueError, match="one shape"):
        selectivity_maps({"m": {"a": torch.zeros(4, 4), "b": torch.zeros(3, 3)}})


def test_selective_units_image_mixes_the_colours_of_shared_units():
    from matplotlib.colors import to_rgb

    a, b = torch.zeros(3, 3), torch.zeros(3, 3)
    a[0, 0] = a[1, 1] = 1.0
    b[1, 1] = b[2, 2] = 1.0
    image, count = selective_units_image({"a": a, "b": b}, threshold=0.85)
    assert count.tolist() == [[1, 0, 0], [0, 2, 0], [0, 0, 1]]
    assert np.allclose(image[0, 0], to_rgb(CATEGORY_COLOURS[0])) and np.allclose(
        image[2, 2], to_rgb(CATEGORY_COLOURS[1])
    )
    assert np.allclose(image[1, 1], (np.array(to_rgb(CATEGORY_COLOURS[0])) + to_rgb(CATEGORY_COLOURS[1])) / 2)
    assert np.allclose(image[0, 1], 0.92)


def test_torus_centroid_wraps_around_the_edges():
    mask = np.zeros((8, 8), bool)
    mask[0, 7] = mask[0, 0] = mask[7, 0] = mask[7, 7] = True  # one cluster split over the four corners
    row, col = torus_centroid(mask)
    assert min(row, 8 - row) < 1e-6 + 0.5 and min(col, 8 - col) < 1e-6 + 0.5
    assert torus_centroid(np.zeros((3, 3), bool)) is None


def test_selective_units_figure_outlines_each_category():
    d = torch.zeros(6, 6)
    d[1:3, 1:3] = 1.5
    fig = selective_units_figure({"a": d, "b": -d}, title="t")
    left, right = fig.get_axes()
    assert left.images[0].get_array().shape == (6, 6, 3)
    assert len(right.lines) == 1  # only "a" has selective units, so one centroid marker
    plt.close(fig)


def test_unit_drivers_figure_shows_the_top_images_of_the_chosen_unit():
    activations = torch.zeros(5, 3, 3)
    activations[:, 1, 2] = torch.tensor([0.0, 4.0, 1.0, 3.0, 2.0])
    images = torch.arange(5.0)[:, None, None, None].expand(5, 1, 4, 4) + torch.rand(5, 1, 4, 4) * 0.1
    fig = unit_drivers_figure(
        torch.randn(3, 3), activations, images, torch.tensor([0, 1, 0, 1, 0]), ["x", "y"], (1, 2), top=3
    )
    shown = [ax for ax in fig.get_axes()[1:]]
    assert [round(float(ax.images[0].get_array().mean())) for ax in shown] == [1, 3, 4]  # by activation 4, 3, 2
    assert [ax.get_title() for ax in shown] == ["y", "y", "x"]
    plt.close(fig)
    d_map = torch.tensor([[0.1, 0.9, 0.2], [0.95, 0.0, 0.3], [0.0, 0.0, 0.0]])
    for threshold, count in [(0.85, 2), (0.25, 3), (2.0, 0)]:
        fig = unit_drivers_figure(
            d_map, activations, images, torch.zeros(5, dtype=torch.long), ["x"], (0, 0), threshold
        )
        assert fig.get_axes()[0].get_title().endswith(f"{count} of 9 units with d >= {threshold:.2f}")
        plt.close(fig)
    with pytest.raises(ValueError, match="on the 3 x 3 map"):
        unit_drivers_figure(torch.zeros(3, 3), activations, images, torch.zeros(5, dtype=torch.long), ["x"], (3, 0))
    with pytest.raises(ValueError, match="expected activations"):
        unit_drivers_figure(torch.zeros(4, 4), activations, images, torch.zeros(5, dtype=torch.long), ["x"], (0, 0))


def test_selectivity_explorer_redraws_for_category_threshold_and_unit(monkeypatch):
    drawn = []

    def recording_figure(d_map, activations, images, labels, names, unit, threshold, top):
        drawn.append((float(d_map.sum()), unit, threshold))
        return unit_drivers_figure(d_map, activations, images, labels, names, unit, threshold, top)

    monkeypatch.setattr("eqlib.widgets.unit_drivers_figure", recording_figure)
    first, second = torch.zeros(4, 4), torch.ones(4, 4)
    first[2, 3] = 2.0
    box = selectivity_explorer(
        {"a": first, "b": second}, torch.rand(6, 4, 4), torch.rand(6, 1, 5, 5), torch.tensor([0, 1] * 3)
    )
    assert drawn == [(2.0, (2, 3), 0.85)]  # starts at the most selective unit of the first category
    box.category.value = "b"
    box.sliders["threshold"].value = 0.5
    box.sliders["row"].value = 0
    assert drawn[1:] == [(16.0, (2, 3), 0.85), (16.0, (2, 3), 0.5), (16.0, (0, 3), 0.5)]
    plt.close("all")
    with pytest.raises(ValueError, match="at least one d-map"):
        selectivity_explorer({}, torch.rand(6, 4, 4), torch.rand(6, 1, 5, 5), torch.zeros(6))


def test_duet_matrix_figure_draws_heatmaps_and_bin_distributions():
    matrix, structure = torch.randn(2, 8, 4), torch.softmax(torch.randn(2, 8), -1)
    fig = duet_matrix_figure(torch.rand(3, 10, 10), matrix, structure, torch.softmax(torch.randn(2, 8), -1))
    assert len(fig.axes) == 5 + 2  # input, (heatmap, bars) per group, and a colour bar per heatmap
    assert [ax.get_ylabel() for ax in fig.axes[5:]] == ["entry", "entry"]
    bars = fig.axes[2].patches
    assert [b.get_width() for b in bars] == pytest.approx(structure[0].tolist())
    with pytest.raises(ValueError, match="K names"):
        duet_matrix_figure(torch.rand(3, 10, 10), matrix, structure, names=("rotation",))
    plt.close("all")


def test_generation_explorer_regenerates_for_every_slider_change():
    calls = []

    def generate(digit, angle, hue):
        calls.append((digit, angle, hue))
        return {"truth": torch.rand(3, 8, 8), "DUET": torch.rand(3, 8, 8)}

    box = controlled_generation_explorer(generate, digits=5)
    box.sliders["angle"].value = 40
    box.sliders["hue"].value = 200
    box.sliders["digit"].value = 3
    assert calls == [(0, 90, 120), (0, 40, 120), (0, 40, 200), (3, 40, 200)]
    plt.close("all")
    with pytest.raises(ValueError, match="at least one digit"):
        controlled_generation_explorer(generate, digits=0)


def test_duet_matrix_explorer_redraws_the_matrix_of_the_transformed_input(monkeypatch):
    drawn = []

    def recording_figure(image, matrix, structure, target, names):
        drawn.append(float(matrix.sum()))
        return duet_matrix_figure(image, matrix, structure, target, names)

    monkeypatch.setattr("eqlib.widgets.duet_matrix_figure", recording_figure)

    def inspect(digit, angle, hue):
        matrix = torch.full((2, 8, 4), float(angle + hue + digit))
        return torch.rand(3, 8, 8), matrix, torch.full((2, 8), 1 / 8), None

    box = duet_matrix_explorer(inspect, digits=3)
    box.sliders["angle"].value = 0
    box.sliders["hue"].value = 10
    assert drawn == [64.0 * 210, 64.0 * 120, 64.0 * 10]
    plt.close("all")
