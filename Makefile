# vozbd developer tasks. `make run` and `make test` are the README Quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
LOCK   := requirements.lock

.PHONY: run install install-dev models test test-fast lint typecheck format bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python ## install the app (voice chat UI, speech, agent, MCP)
	$(BIN)/pip install -q -c $(LOCK) -e ".[ui]"

install-dev: $(BIN)/python ## install everything plus test tools
	$(BIN)/pip install -q -c $(LOCK) -e ".[dev]"

models: ## assemble and verify the offline speech models
	$(BIN)/vozbd models install

run: install models ## install, then open the voice chat on the demo database
	$(BIN)/vozbd ui --port $(PORT)

test: install-dev models ## install and run the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

test-fast: ## skip the slow tests (real speech models, browser)
	$(BIN)/pytest -m "not slow"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: ## mypy with the pydantic plugin (config in pyproject.toml)
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: ## print benchmark numbers
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lock: $(BIN)/python ## re-resolve requirements.lock from pyproject.toml's ranges (keeps pins that still fit)
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-emit-find-links --no-annotate \
		--custom-compile-command "make lock" -o $(LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
