"""The fast / full / paper scales: every paper preset overrides knobs its notebook really has."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from eqlib.scales import PAPER, SCALES, Preset, notebook_path, papermill_command, parameters

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def knobs(path: Path) -> dict[str, object]:
    """The literal defaults of a notebook's parameters cell (knobs set by a call, like FAST, map to None)."""
    cells = json.loads(path.read_text())["cells"]
    (cell,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    found = {}
    for statement in ast.parse("".join(cell["source"])).body:
        try:
            value = ast.literal_eval(statement.value)
        except ValueError:
            value = None
        found[statement.targets[0].id] = value
    return found


def test_every_notebook_has_a_paper_preset():
    assert sorted(PAPER) == sorted(p.name[:2] for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_preset_overrides_only_knobs_of_the_parameters_cell_with_values_of_their_type(path):
    defaults = knobs(path)
    preset = PAPER[path.name[:2]]
    assert preset.parameters, "a paper preset changes at least one knob"
    for name, value in preset.parameters.items():
        assert name in defaults, f"{path.name} has no knob {name}"
        expected = type(defaults[name])
        # an int knob takes ints; a float knob takes floats or ints
        assert isinstance(value, expected) or (expected is float and type(value) is int), (
            f"{path.name}: {name} = {value!r}, the cell's default is a {expected.__name__}"
        )
        if expected is not bool:
            assert value > 0, f"{path.name}: {name} = {value!r}"


def test_parameters_of_the_three_scales():
    assert SCALES == ("fast", "full", "paper")
    assert parameters("07", "fast") == {"FAST": True}
    assert parameters("07", "full") == {"FAST": False}
    assert parameters("07", "paper") == {"FAST": False, **PAPER["07"].parameters}


def test_bad_scale_or_notebook_is_named():
    with pytest.raises(ValueError, match="scale must be one of"):
        parameters("07", "huge")
    with pytest.raises(ValueError, match="notebook must be one of"):
        parameters("7", "paper")
    with pytest.raises(ValueError, match="expected one notebook named 09_"):
        notebook_path("09", ROOT)


def test_a_preset_says_what_the_paper_used_for_every_knob_it_sets():
    with pytest.raises(ValueError, match="missing: \\['EPOCHS'\\]"):
        Preset(parameters={"EPOCHS": 3}, paper={}, unreachable="")


def test_the_papermill_command_passes_every_knob_and_writes_under_runs():
    command = papermill_command("04", "paper", ROOT)
    passed = {command[i + 1]: command[i + 2] for i, word in enumerate(command) if word == "-p"}
    assert passed == {name: str(value) for name, value in parameters("04", "paper").items()}
    assert command[-2].endswith("notebooks/04_topographic_vae.ipynb")
    assert command[-1] == str(ROOT / "runs" / "paper" / "04_topographic_vae.ipynb")


def test_notebook_03s_preset_is_the_paper_scale_of_its_torchrun_script():
    """So that models trained by ``torchrun -m eqlib.experiments.duet --scale paper`` are the ones a paper run loads."""
    from eqlib.experiments.duet import SCALES as SCRIPT_SCALES

    assert {name.lower(): value for name, value in PAPER["03"].parameters.items()} == SCRIPT_SCALES["paper"]
