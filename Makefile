# The two commands of the README. Both create .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## make demo: install headrace and run the bundled youtube-spam example end to end
demo: $(VENV)/.installed
	@test -f $(DEMO_DIR)/headrace.yaml || $(BIN)/headrace init $(DEMO_DIR) --example youtube-spam
	$(BIN)/headrace run -p $(DEMO_DIR)
	$(BIN)/headrace lineage staging -p $(DEMO_DIR)

## make test: install headrace with its dev tools, lint, type-check and run the tests
test: $(VENV)/.installed-dev lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests scripts examples
	$(BIN)/ruff format --check src tests scripts examples
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
