# jupyter_mltrack — developer entry points. `make demo` and `make test` work on a fresh machine
# with Python 3.11: each creates .venv and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install -q --disable-pip-version-check

.PHONY: demo test lint typecheck pytest bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# Stamps are keyed to pyproject.toml so a changed dependency list reinstalls.
# Installs are constrained to binder/requirements.txt (the pinned closure of the tutorials'
# extras, regenerated with binder/pin_requirements.py): `make test` and the Binder image run the
# same versions, and a new upstream release cannot change what CI tests overnight.
CONSTRAINTS := $(VENV)/constraints.txt

$(CONSTRAINTS): binder/requirements.txt | $(BIN)/python
	grep -v '^\.\[' binder/requirements.txt > $@

# The editable install builds the JupyterLab extension (labextension/, hatch-jupyter-builder +
# jlpm): it needs Node.js, installed from Debian when missing (as chromium is for the tests).
NODE_CHECK = @command -v node >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
LABEXT_CHECK = $(BIN)/jupyter labextension list 2>&1 | grep -q "jupyter-mltrack.*enabled"

$(VENV)/.demo-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(NODE_CHECK)
	$(PIP) -c $(CONSTRAINTS) -e '.[sklearn,notebook,serve,dashboard]' jupyterlab 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import jupyter_mltrack, sklearn, papermill, ipykernel, voila, jupyterlab"
	$(LABEXT_CHECK)
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@# Browser tests need Debian's chromium (playwright never downloads its own browser here).
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	$(NODE_CHECK)
	$(PIP) -c $(CONSTRAINTS) -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import jupyter_mltrack, pytest, sklearn, psycopg, pymysql"
	$(LABEXT_CHECK)
	touch $@ $(VENV)/.demo-installed

demo: $(VENV)/.demo-installed
	$(BIN)/python examples/demo_sweep.py
	@printf '\nOpen the demo store in JupyterLab (Experiments sidebar, flask icon on the left):\n  %s\n' '$(BIN)/jupyter lab'

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

pytest: $(VENV)/.dev-installed
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/run.py

# The documentation site (the test suite builds it too, with warnings as errors).
docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site
	@echo "Open site/index.html, or serve it live with: $(BIN)/mkdocs serve"

clean:
	rm -rf $(VENV) .bench mltrack site .pytest_cache .mypy_cache .ruff_cache
