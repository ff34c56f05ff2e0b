"""Student copies of the notebooks: every solution cell becomes a stub that states its exercise.

A solution is a code cell tagged ``solution``; its exercise is the markdown cell just above it.
The copy keeps every other cell, drops all outputs (a student runs the notebook), tags each stub
``exercise``, and removes from the markdown the answers written out next to exercises (paragraphs
that start with ``*Answer``) and the line telling readers that solutions are collapsed. Each stub is the
exercise text as comments and one ``raise NotImplementedError``, so running a copy top to bottom
stops at the first exercise with that error and no other.

``python -m eqlib.student`` (``make student``) writes the copies to ``student/``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
from pathlib import Path

SOLUTION_TAG, EXERCISE_TAG = "solution", "exercise"
_COLLAPSED_NOTE = re.compile(r"^The solution cells?\b[^\n]*collapsed[^\n]*$\n?", re.MULTILINE)
_ANSWER_START = "*Answer"


def _text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def without_answers(markdown: str) -> str:
    """Markdown without the collapsed-solutions note and the paragraphs that give an answer away."""
    paragraphs = re.split(r"\n\s*\n", _COLLAPSED_NOTE.sub("", markdown))
    return "\n\n".join(p for p in paragraphs if not p.lstrip().startswith(_ANSWER_START)).strip("\n")


def exercise_text(markdown: str) -> str:
    """The exercise statement of a markdown cell: no headings, no answers, no collapsed-solutions note."""
    kept = [line for line in without_answers(markdown).splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(kept).strip()


def stub_source(exercise: str, number: int, notebook: str) -> str:
    """A cell that quotes the exercise and raises ``NotImplementedError`` before doing anything else."""
    quoted = "\n".join(f"# {line}".rstrip() for line in exercise.splitlines())
    return (
        f"{quoted}\n#\n# Your solution here; delete the line below when it runs.\n"
        f'raise NotImplementedError("{notebook}: solution {number} is yours to write")\n'
    )


def without_outputs(notebook: dict) -> dict:
    """A copy of ``notebook`` (as loaded by ``json``) as before its first run.

    Code cells lose their outputs, execution counts and run timings; the notebook loses its
    papermill parameters and the saved widget state (which belongs to the outputs).
    """
    result = copy.deepcopy(notebook)
    for cell in result["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            metadata = cell.setdefault("metadata", {})
            for key in ("execution", "papermill"):
                metadata.pop(key, None)
    for key in ("papermill", "widgets"):
        result.get("metadata", {}).pop(key, None)
    return result


def student_copy(notebook: dict, name: str) -> dict:
    """A copy of ``notebook`` (as loaded by ``json``) with stubs for solutions and no outputs.

    Raises ``ValueError`` when a solution cell has no markdown cell above it to take the
    exercise text from.
    """
    result = without_outputs(notebook)
    cells, number = result["cells"], 0
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            cell["source"] = _lines(without_answers(_text(cell)))
            continue
        if cell["cell_type"] != "code":
            continue
        metadata = cell["metadata"]
        for key in ("collapsed", "jupyter"):  # a stub is shown in full
            metadata.pop(key, None)
        tags = metadata.get("tags", [])
        if SOLUTION_TAG not in tags:
            continue
        above = cells[i - 1] if i > 0 else None
        if above is None or above["cell_type"] != "markdown":
            raise ValueError(f"{name}: solution cell {i} needs the exercise's markdown cell right above it")
        number += 1
        metadata["tags"] = [EXERCISE_TAG if tag == SOLUTION_TAG else tag for tag in tags]
        cell["source"] = _lines(stub_source(exercise_text(_text(above)), number, name))
    return result


def serialise(notebook: dict) -> str:
    """The notebook as JSON, in the layout Jupyter writes."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def student_copies(notebooks_dir: Path) -> dict[str, str]:
    """File name -> serialised student copy, for every ``NN_*.ipynb`` in ``notebooks_dir``."""
    paths = sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise ValueError(f"no notebooks named NN_*.ipynb in {notebooks_dir}")
    return {path.name: serialise(student_copy(json.loads(path.read_text()), path.stem)) for path in paths}


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
