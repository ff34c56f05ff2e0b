"""The static site of the suite (``make book``): pages as a reader gets them, built without the web."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from eqlib.book import (
    PLOTLY_MIME,
    WIDGET_MIME,
    WIDGET_NOTE,
    build,
    for_the_page,
    is_explorer,
    landing_page,
    plotly_html,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
FROM_THE_WEB = re.compile(r"<(script|img|link|iframe)[^>]+(src|href)=[\"']https?://")


def widget_output(model: str, text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": model}, "text/plain": text})


def small_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
    figure = nbformat.v4.new_code_cell("fig.show()")
    plotly = {PLOTLY_MIME: {"data": [{"y": [1, 2]}], "layout": {"height": 300}}}
    figure.outputs = [nbformat.v4.new_output("display_data", data=plotly)]
    explorer = nbformat.v4.new_code_cell("display(explorer)")
    explorer.outputs = [widget_output("x", "VBox()"), widget_output("y", "HBox(children=(...))")]
    notebook.cells = [nbformat.v4.new_markdown_cell("# 09 · Topic"), figure, explorer]
    return notebook


def test_a_page_draws_plotly_figures_itself_and_names_how_to_run_the_explorers():
    page = for_the_page(small_notebook(), "09_topic.ipynb")
    assert "widgets" not in page.metadata  # saved widget state would load its manager from the web
    links = page.cells[1].source
    assert "notebooks/09_topic.ipynb" in links and "student/09_topic.ipynb" in links
    html = page.cells[2].outputs[0]["data"]["text/html"]
    assert "Plotly.newPlot('eqlib-plotly-1'" in html and '"y": [1, 2]' in html and "height: 300px" in html
    assert [o["data"] for o in page.cells[3].outputs] == [{"text/markdown": WIDGET_NOTE}]  # the progress bar is gone
    assert small_notebook().cells[1].outputs[0]["data"].keys() == {PLOTLY_MIME}  # the notebook itself is untouched


def test_plotly_html_numbers_its_targets_and_keeps_its_script_closed():
    html = plotly_html({"data": [{"text": ["</script><b>"]}], "layout": {"height": None}}, 7)
    assert 'id="eqlib-plotly-7"' in html and "height: 450px" in html
    assert html.count("</script>") == 1  # a label cannot close the script early


def test_a_notebook_without_a_title_cell_is_named():
    with pytest.raises(ValueError, match="09_topic.ipynb: expected a markdown title cell"):
        for_the_page(nbformat.v4.new_notebook(), "09_topic.ipynb")


def test_the_landing_page_tells_the_readme_story_and_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    index = landing_page(readme, [p.stem for p in NOTEBOOKS])
    assert index.startswith("# eqlib") and "| # | notebook |" in index
    assert all(p.stem in index for p in NOTEBOOKS) and "results" in index
    assert "colab-badge.svg" not in index  # the README's badges are images from the web


@pytest.mark.book
def test_the_book_has_a_page_per_notebook_with_its_figures_and_loads_nothing_from_the_web(tmp_path):
    pytest.importorskip("myst_nb")
    html = build(tmp_path)
    assert (html / "index.html").is_file() and (html / "results.html").is_file()
    for path in NOTEBOOKS:
        outputs = [o for c in nbformat.read(path, as_version=4).cells for o in c.get("outputs", [])]
        page = (html / f"{path.stem}.html").read_text()
        assert page.count("<img") >= sum("image/png" in o.get("data", {}) for o in outputs), path.stem
        assert page.count("Plotly.newPlot(") == sum(PLOTLY_MIME in o.get("data", {}) for o in outputs), path.stem
        assert page.count("An interactive explorer runs here") == sum(map(is_explorer, outputs)), path.stem
        assert "colab.research.google.com" in page and "student/" in page
        assert not FROM_THE_WEB.search(page), f"{path.stem} loads from the web"
    assert (html / "_static" / "plotly.min.js").is_file() and (html / "_static" / "mathjax" / "tex-svg.js").is_file()
    assert not FROM_THE_WEB.search((html / "index.html").read_text())
    results = (tmp_path / "source" / "results.md").read_text()
    assert "holds" in results and results[results.index("| # |") :].strip() in (ROOT / "README.md").read_text()
