"""Student copies: solutions become stubs that fail only with NotImplementedError, and the copies are current."""

import json
from pathlib import Path

import pytest

from eqlib.student import (
    EXERCISE_TAG,
    SOLUTION_TAG,
    exercise_text,
    student_copies,
    student_copy,
    without_outputs,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT = ROOT / "student"


def cell(kind: str, text: str, tags=(), outputs=None) -> dict:
    made = {"cell_type": kind, "metadata": {"tags": list(tags)}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        made.update(
            outputs=outputs or [{"output_type": "stream", "name": "stdout", "text": ["4\n"]}], execution_count=1
        )
    return made


def tiny_notebook() -> dict:
    return {
        "cells": [
            cell("code", "x = 2\nprint(x * 2)"),
            cell(
                "markdown",
                "## Exercises\n\n**Exercise 1 · Square it.** Print x squared.\n\n"
                "*Answer:* it is four.\n\nThe solution cells are collapsed; click on one to reveal it.",
            ),
            cell("code", "print(x ** 2)", tags=[SOLUTION_TAG]),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_stub_quotes_the_exercise_without_the_answer_and_raises_not_implemented():
    copy = student_copy(tiny_notebook(), "00_tiny")
    stub = copy["cells"][2]
    source = "".join(stub["source"])
    assert "# **Exercise 1 · Square it.** Print x squared." in source
    assert "four" not in source and "print(x ** 2)" not in source
    assert stub["metadata"]["tags"] == [EXERCISE_TAG] and stub["outputs"] == []
    markdown = "".join(copy["cells"][1]["source"])
    assert "Square it" in markdown and "Answer" not in markdown and "collapsed" not in markdown
    assert all(c.get("outputs", []) == [] for c in copy["cells"])
    with pytest.raises(NotImplementedError, match="00_tiny: solution 1"):
        exec(compile(source, "stub", "exec"), {})  # noqa: S102 -- runs the generated stub, on purpose


def test_a_notebook_without_outputs_keeps_its_source_and_hidden_solutions_but_no_run_state():
    notebook = tiny_notebook()
    notebook["metadata"].update(papermill={"parameters": {}}, widgets={"state": {}}, kernelspec={"name": "python3"})
    notebook["cells"][2]["metadata"].update(jupyter={"source_hidden": True}, execution={"iopub.status.busy": "t"})
    fresh = without_outputs(notebook)
    assert fresh["metadata"] == {"kernelspec": {"name": "python3"}}
    assert [c.get("outputs") for c in fresh["cells"]] == [[], None, []]
    assert [c.get("execution_count") for c in fresh["cells"]] == [None, None, None]
    assert [c["source"] for c in fresh["cells"]] == [c["source"] for c in notebook["cells"]]
    assert fresh["cells"][2]["metadata"] == {"tags": [SOLUTION_TAG], "jupyter": {"source_hidden": True}}
    assert notebook["cells"][0]["outputs"] and "widgets" in notebook["metadata"]  # the original is untouched


def test_a_solution_without_its_exercise_above_is_refused():
    notebook = tiny_notebook()
    del notebook["cells"][1]
    with pytest.raises(ValueError, match="markdown cell right above"):
        student_copy(notebook, "00_tiny")


def test_exercise_text_drops_headings_and_every_wording_of_the_collapsed_note():
    assert exercise_text("## Exercises\n\n**2 · Bins.** Count them.") == "**2 · Bins.** Count them."
    for note in ("The solution cell is collapsed; click on it.", "The solution cell below is collapsed; click."):
        assert exercise_text(f"**3 · Sweep.** Go.\n\n{note}") == "**3 · Sweep.** Go."


def test_student_copies_are_current():
    expected = student_copies(ROOT / "notebooks")
    committed = {path.name: path.read_text() for path in sorted(STUDENT.glob("*.ipynb"))}
    assert committed.keys() == expected.keys(), "student/ lacks or has extra copies: make student"
    stale = [name for name in expected if committed[name] != expected[name]]
    assert not stale, f"student copies out of date: {stale}; make student"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_stub_fails_only_with_not_implemented_error(path):
    copy = json.loads((STUDENT / path.name).read_text())
    solutions = [c for c in json.loads(path.read_text())["cells"] if SOLUTION_TAG in c["metadata"].get("tags", [])]
    stubs = [c for c in copy["cells"] if EXERCISE_TAG in c["metadata"].get("tags", [])]
    assert solutions and len(stubs) == len(solutions)
    assert not any(SOLUTION_TAG in c["metadata"].get("tags", []) for c in copy["cells"])
    for stub in stubs:
        # an empty namespace: a stub that touched any notebook name would fail with NameError instead
        with pytest.raises(NotImplementedError):
            exec(compile("".join(stub["source"]), path.name, "exec"), {})  # noqa: S102 -- the stub itself
