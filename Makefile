# Everything a newcomer needs: `make demo` and `make test` set up the virtualenv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two installs, two stamps: `make demo` needs only what crawlscope itself needs; the test
# toolchain (pytest, mypy, ruff, playwright, schemathesis, PostgreSQL driver...) comes with
# `make setup` / `make test`. Each stamp is redone when pyproject.toml changes.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

# The dashboard (frontend/, React + Vite) is built into the package: src/crawlscope/api/static.
NPM        ?= npm
FRONTEND   := frontend
NODE_STAMP := $(FRONTEND)/node_modules/.installed
DASHBOARD  := src/crawlscope/api/static/index.html
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig.json $(FRONTEND)/tsconfig.node.json

.PHONY: setup setup-runtime demo test lint typecheck unit integration bench clean dashboard frontend-test

# crawlscope and its runtime dependencies, editable (no dashboard needed: hatch_build.py
# refuses only non-editable wheels without it).
$(RUNTIME_STAMP): pyproject.toml hatch_build.py
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "crawlscope needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

# ... plus the dev extra: tests, linters, type checker, browser tests, asyncpg.
$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

setup-runtime: $(RUNTIME_STAMP)

setup: $(DEV_STAMP)

# npm ci only when the lock file changed (the stamp lives inside node_modules, so deleting
# node_modules reinstalls too).
$(NODE_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(DASHBOARD): $(NODE_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && $(NPM) run --silent build

dashboard: $(DASHBOARD)

frontend-test: $(NODE_STAMP)
	cd $(FRONTEND) && $(NPM) run --silent test

demo: setup-runtime dashboard
	$(BIN)/crawlscope serve --demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests/unit

integration: setup
	$(BIN)/pytest tests/integration

test: setup lint typecheck frontend-test dashboard
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(FRONTEND)/node_modules src/crawlscope/api/static
