"""The static site of the suite (``make book``): pages as a reader gets them, built without the web."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from eqlib.book import PLOTLY_MIME, WIDGET_MIME, WIDGET_NOTE, build, for_the_page, landing_page, plotly_html

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def small_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
    figure = nbformat.v4.new_code_cell("fig.show()")
    figure.outputs = [
        nbformat.v4.new_output("display_data", data={PLOTLY_MIME: {"data": [{"y": [1, 2]}], "layout": {"height": 300}}})
    ]
    explorer = nbformat.v4.new_code_cell("display(explorer)")
    explorer.outputs = [
        nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "x"}, "text/plain": "VBox()"})
    ]
    notebook.cells = [nbformat.v4.new_markdown_cell("# 09 · Topic"), figure, explorer]
    return notebook


def test_a_page_draws_plotly_figures_itself_and_names_how_to_run_the_widgets():
    page = for_the_page(small_notebook(), "09_topic.ipynb")
    assert "widgets" not in page.metadata  # saved widget state would load its manager from the web
    links = page.cells[1].source
    assert "notebooks/09_topic.ipynb" in links and "student/09_topic.ipynb" in links
    html = page.cells[2].outputs[0]["data"]["text/html"]
    assert "Plotly.newPlot('eqlib-plotly-1'" in html and '"y": [1, 2]' in html and "height: 300px" in html
    assert page.cells[3].outputs[0]["data"] == {"text/markdown": WIDGET_NOTE}
    assert small_notebook().cells[1].outputs[0]["data"].keys() == {PLOTLY_MIME}  # the notebook itself is untouched


def test_plotly_html_numbers_its_targets():
    assert 'id="eqlib-plotly-7"' in plotly_html({"data": []}, 7)


def test_the_landing_page_tells_the_readme_story_and_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    index = landing_page(readme, [p.stem for p in NOTEBOOKS])
    assert index.startswith("# eqlib") and "| # | notebook |" in index
    assert all(p.stem in index for p in NOTEBOOKS) and "results" in index


@pytest.mark.book
def test_the_book_has_a_page_per_notebook_with_its_figures_and_loads_nothing_from_the_web(tmp_path):
    pytest.importorskip("myst_nb")
    html = build(tmp_path)
    assert (html / "index.html").is_file() and (html / "results.html").is_file()
    for path in NOTEBOOKS:
        page = (html / f"{path.stem}.html").read_text()
        figures = sum(
            1
            for c in nbformat.read(path, as_version=4).cells
            for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})
        )
        assert page.count("<img") >= figures, (path.stem, figures)
        assert "colab.research.google.com" in page and "student/" in page
        plots = sum(
            1
            for c in nbformat.read(path, as_version=4).cells
            for o in c.get("outputs", [])
            if PLOTLY_MIME in o.get("data", {})
        )
        assert page.count("Plotly.newPlot(") == plots
        assert not re.search(r"<(script|img)[^>]+src=\"https?://", page), f"{path.stem} loads from the web"
    assert (html / "_static" / "plotly.min.js").is_file() and (html / "_static" / "mathjax" / "tex-svg.js").is_file()
    assert "holds" in (html / "results.html").read_text()
    assert not re.search(r"<(script|img)[^>]+src=\"https?://", (html / "index.html").read_text())
