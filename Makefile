# Every target sets itself up: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run demo test bench lint format clean package docs screenshots

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m app.launch

demo: install
	$(VENV)/bin/reelgraph run workflows/demo.json --out renders

test: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: install
	$(PY) -m tests.bench

package: install
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/reelgraph.spec
	@echo "built dist/reelgraph/ (run dist/reelgraph/reelgraph; install packaging/reelgraph.desktop and resources/icons for a menu entry)"

docs: install
	$(PY) -m app.cli nodes --markdown > docs/nodes.md
	$(PY) -m app.cli models --update docs/backends.md
	$(PY) -m app.core.limits docs/limits.md

screenshots: install
	QT_QPA_PLATFORM=offscreen REELGRAPH_SCREENSHOTS=docs/images $(PY) -m pytest -q tests/ui

# what CI and the pre-commit hooks check: lint rules, formatting, types of the headless engine
lint: install
	$(VENV)/bin/ruff check app nodes tests
	$(VENV)/bin/ruff format --check app nodes tests
	$(VENV)/bin/mypy

# rewrite the code the way `make lint` wants it
format: install
	$(VENV)/bin/ruff check --fix app nodes tests
	$(VENV)/bin/ruff format app nodes tests

clean:
	rm -rf $(VENV) renders build dist *.egg-info
