"""Student copies of the notebooks: every solution becomes the skeleton it was written around.

A solution is a code cell tagged ``solution``. Its source marks the lines a student writes
between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` (at any indentation, several blocks allowed);
everything outside the markers (a signature, a docstring with shapes, the names a check reads)
stays. In the copy each marked block becomes ``...`` at the marker's indentation, the cell is
tagged ``exercise`` and shown in full, every output is dropped (a student runs the notebook),
and the markdown loses the answers written out next to exercises (paragraphs that start with
``*Answer``) and the line telling readers that solutions are collapsed. Every exercise is
followed by a check cell (``eqlib.exercises``), so a copy run top to bottom stops at the first
unanswered exercise with that check's message.

Notebooks are read and written with ``nbformat``. ``python -m eqlib.student`` (``make student``)
writes the copies to ``student/``.
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import nbformat

SOLUTION_TAG, EXERCISE_TAG = "solution", "exercise"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_COLLAPSED_NOTE = re.compile(r"^The solution cells?\b[^\n]*collapsed[^\n]*$\n?", re.MULTILINE)
_ANSWER_START = "*Answer"


def without_answers(markdown: str) -> str:
    """Markdown without the collapsed-solutions note and the paragraphs that give an answer away."""
    paragraphs = re.split(r"\n\s*\n", _COLLAPSED_NOTE.sub("", markdown))
    return "\n\n".join(p for p in paragraphs if not p.lstrip().startswith(_ANSWER_START)).strip("\n")


def skeleton(source: str, where: str = "solution") -> str:
    """``source`` with each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block replaced by ``...``.

    Raises ``ValueError`` naming ``where`` when the source has no block, or a marker without
    its partner.
    """
    out, indent, blocks = [], None, 0
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if indent is not None:
                raise ValueError(f"{where}: '{BEGIN}' inside another block")
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}...  # your lines here")
            blocks += 1
        elif stripped == END:
            if indent is None:
                raise ValueError(f"{where}: '{END}' without '{BEGIN}'")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ValueError(f"{where}: '{BEGIN}' without '{END}'")
    if not blocks:
        raise ValueError(f"{where}: a solution cell must mark the student's lines with '{BEGIN}' and '{END}'")
    return "\n".join(out) + "\n"


def without_outputs(notebook: nbformat.NotebookNode | dict) -> nbformat.NotebookNode:
    """A copy of ``notebook`` as before its first run.

    Code cells lose their outputs, execution counts and run timings; the notebook loses its
    papermill parameters and the saved widget state (which belongs to the outputs).
    """
    result = nbformat.from_dict(copy.deepcopy(dict(notebook)))
    for cell in result.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            for key in ("execution", "papermill"):
                cell.metadata.pop(key, None)
    for key in ("papermill", "widgets"):
        result.metadata.pop(key, None)
    return result


def student_copy(notebook: nbformat.NotebookNode | dict, name: str) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with skeletons for solutions and no outputs.

    Raises ``ValueError`` when a solution cell lacks its markers, or has no markdown cell (its
    exercise) right above it.
    """
    result = without_outputs(notebook)
    cells = result.cells
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            cell.source = without_answers(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        for key in ("collapsed", "jupyter"):  # a skeleton is shown in full
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if SOLUTION_TAG not in tags:
            continue
        if i == 0 or cells[i - 1].cell_type != "markdown":
            raise ValueError(f"{name}: solution cell {i} needs the exercise's markdown cell right above it")
        cell.metadata["tags"] = [EXERCISE_TAG if tag == SOLUTION_TAG else tag for tag in tags]
        cell.source = skeleton(cell.source, f"{name}, cell {i}")
    return result


def serialise(notebook: nbformat.NotebookNode | dict) -> str:
    """The notebook as nbformat writes it (JSON, one-space indent, a final newline)."""
    text = nbformat.writes(nbformat.from_dict(dict(notebook)))
    return text if text.endswith("\n") else text + "\n"


def student_copies(notebooks_dir: Path) -> dict[str, str]:
    """File name -> serialised student copy, for every ``NN_*.ipynb`` in ``notebooks_dir``."""
    paths = sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"no notebooks named NN_*.ipynb in {notebooks_dir}")
    return {path.name: serialise(student_copy(nbformat.read(path, as_version=4), path.stem)) for path in paths}


def main(argv: list[str] | None = None) -> None:
    """Write a student copy of every notebook into ``student/``."""
    from eqlib.runtime import repo_root

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--notebooks", type=Path, default=repo_root() / "notebooks")
    parser.add_argument("--out", type=Path, default=repo_root() / "student")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in student_copies(args.notebooks).items():
        (args.out / name).write_text(text)
    print(f"wrote the student copies to {args.out}")


if __name__ == "__main__":
    main()
