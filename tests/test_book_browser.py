"""The built book as a reader meets it: headless Chromium reads every page from a local server, with every request
elsewhere refused; the plotly figure draws, formulas are typeset, no page logs an error.

A module of its own: the JupyterLab tests of test_browser.py keep a Playwright session open for their whole module,
and Playwright's sync API cannot run a second one inside it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_FLAGS, _skip_without_browser

from eqlib.book import build

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent

PLOTLY_PAGE = "03_duet"  # a notebook with a plotly figure


@pytest.fixture(scope="module")
def served_book(tmp_path_factory):
    _skip_without_browser()
    pytest.importorskip("myst_nb")
    html = build(tmp_path_factory.mktemp("book"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.book
def test_the_book_pages_draw_their_figures_and_formulas_offline_without_console_errors(served_book, tmp_path):
    """Every page of the book from the local server alone: any request elsewhere is refused and counted, and no page
    logs an error; the index links the notebooks, and a notebook page draws its plotly figure and its formulas."""
    from playwright.sync_api import sync_playwright

    pages = ["index", "results", *sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []

            def local_only(route):
                if route.request.url.startswith(served_book):
                    route.continue_()
                else:
                    problems.append(f"a request to the web: {route.request.url}")
                    route.abort()

            page.route("**/*", local_only)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            for name in pages:
                page.goto(f"{served_book}/{name}.html", wait_until="load")
                page.wait_for_load_state("networkidle")
                assert "eqlib" in page.title(), name
                if name == "index":
                    assert page.locator(f"a[href*='{PLOTLY_PAGE}']").count() > 0
                if name == PLOTLY_PAGE:
                    page.wait_for_selector("#eqlib-plotly-1 .main-svg", timeout=30_000)  # plotly.js drew it
                    page.wait_for_selector("mjx-container svg", timeout=30_000)  # MathJax typeset the formulas
                    page.screenshot(path=str(tmp_path / "book-page.png"))
                assert not problems, (name, problems)
        finally:
            browser.close()
