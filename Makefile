# The suite's commands. Everything lives in a local virtual environment (.venv):
# nothing is installed or registered outside this folder.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NB     ?= notebooks/*.ipynb
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup lab test lint unit notebooks execute paper results student hosted browser clean fast-values book course

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# the book's and nbgrader's packages (requirements-book.txt), for make book and make test only
BOOK_STAMP := $(VENV)/.book-installed
# nbgrader switches on its JupyterLab and server extensions when installed: off again, so make lab stays as it was
$(BOOK_STAMP): requirements-book.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-book.txt
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null
	for ext in formgrader validate_assignment assignment_list course_list; do \
	  $(BIN)/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$ext >/dev/null 2>&1 || exit 1; \
	done
	touch $(BOOK_STAMP)

## make book: the static site of the committed notebooks in build/book/html (nothing is executed or downloaded)
book: $(BOOK_STAMP)
	$(BIN)/python -m eqlib.book build/book

## make course: the notebooks as an nbgrader course in build/course (see README, Teaching with nbgrader)
course: $(BOOK_STAMP)
	$(BIN)/python -m eqlib.course build/course

## make lab [LAB_ARGS="--no-browser --port 8890"]: open JupyterLab on notebooks/ with the suite's environment
# (Jupyter refuses to run as root unless told; containers often run as root)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# the suite's environment asks no questions about Jupyter news: a settings override inside .venv
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
lab: $(STAMP)
	@mkdir -p $(dir $(LAB_OVERRIDES))
	@test -f $(LAB_OVERRIDES) || echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > $(LAB_OVERRIDES)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

## make test: unit tests, papermill runs (fast mode) and nbval on the committed notebooks
test: $(STAMP) $(BOOK_STAMP)
	$(BIN)/python -m pytest

## make lint: ruff on the package, tests, benchmarks and notebooks; formatting of the Python files
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check eqlib tests benchmarks

## make unit: the unit tests of eqlib only (seconds; no notebook runs, no browser)
unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not notebook and not browser and not book"

## make execute [NB=notebooks/01_...ipynb]: full-mode run in place, outputs kept (commit them)
execute: $(STAMP)
	@for nb in $(NB); do \
	  echo "executing $$nb (full mode)"; \
	  EQLIB_FAST=0 EQLIB_STRICT_VERDICTS=1 $(BIN)/papermill --kernel python3 --cwd notebooks "$$nb" "$$nb" || exit 1; \
	done

## make paper NB=04: notebook 04 at the paper's scale (eqlib/scales.py; meant for a GPU), into runs/paper/
paper: $(STAMP)
	$(BIN)/python -m eqlib.scales $(NB) --scale paper --run

## make fast-values [ONLY=04]: re-record the committed values of the fast runs (tests/fast_values/), on purpose;
# the first pass writes the files (pytest-regressions reports each rewrite as a failure), the second checks them
FAST_VALUES_K := fast_mode_with_another_seed$(if $(ONLY), and $(ONLY))
fast-values: $(STAMP)
	-$(BIN)/python -m pytest tests/test_notebooks.py -k "$(FAST_VALUES_K)" --force-regen -q
	$(BIN)/python -m pytest tests/test_notebooks.py -k "$(FAST_VALUES_K)" -q

## make results: the README's results table, from the records of the committed full runs
results: $(STAMP)
	$(BIN)/python -m eqlib.results

## make student: copies of the notebooks in student/, each solution replaced by a stub
student: $(STAMP)
	$(BIN)/python -m eqlib.student

## make hosted: write (or refresh) every notebook's install cell for hosted Jupyter (eqlib/hosted.py)
hosted: $(STAMP)
	$(BIN)/python -m eqlib.hosted

## make browser: the widgets driven in headless Chromium (needs `apt-get install chromium`)
browser: $(STAMP) $(BOOK_STAMP)
	$(BIN)/python -m pytest tests/test_browser.py tests/test_book_browser.py -m browser

clean:
	rm -rf build .cache .pytest_cache runs
