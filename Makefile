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

# The dashboard's API types are generated from the server's OpenAPI schema and committed;
# `make test` regenerates them into a scratch folder and fails when they differ.
OPENAPI_TS      := $(FRONTEND)/src/lib/api-schema.ts
OPENAPI_SCRATCH := $(FRONTEND)/node_modules/.cache/crawlscope-openapi
# $(call openapi_ts,OUT): the types the server's current schema gives, written to OUT.
openapi_ts = $(BIN)/python scripts/openapi_schema.py --output $(OPENAPI_SCRATCH)/openapi.json \
	&& node $(FRONTEND)/scripts/openapi-types.mjs $(OPENAPI_SCRATCH)/openapi.json $(1)

.PHONY: constraints setup setup-runtime demo test lint typecheck unit integration bench clean dashboard \
	frontend-test frontend-lint openapi-types openapi-check

# crawlscope and its runtime dependencies, editable (no dashboard needed: hatch_build.py
# refuses only non-editable wheels without it).
$(RUNTIME_STAMP): pyproject.toml hatch_build.py constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "crawlscope needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(RUNTIME_STAMP)

# ... plus the dev extra: tests, linters, type checker, browser tests, asyncpg.
$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
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

# ESLint and Prettier are devDependencies (`npm ci` brings them); only this target and
# `make test` run them, so `make demo` and `make dashboard` never wait for them.
frontend-lint: $(NODE_STAMP)
	cd $(FRONTEND) && $(NPM) run --silent lint && $(NPM) run --silent format:check

openapi-types: setup $(NODE_STAMP)
	$(call openapi_ts,$(OPENAPI_TS))

openapi-check: setup $(NODE_STAMP)
	$(call openapi_ts,$(OPENAPI_SCRATCH)/api-schema.ts)
	@cmp -s $(OPENAPI_SCRATCH)/api-schema.ts $(OPENAPI_TS) || { \
		diff -u $(OPENAPI_TS) $(OPENAPI_SCRATCH)/api-schema.ts | head -n 40; \
		echo "$(OPENAPI_TS) is out of date: run make openapi-types" >&2; exit 1; }

demo: setup-runtime dashboard
	$(BIN)/crawlscope serve --demo

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest tests/unit

integration: setup
	$(BIN)/pytest tests/integration

test: setup lint typecheck openapi-check frontend-lint frontend-test dashboard
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(FRONTEND)/node_modules src/crawlscope/api/static

# Pin what pyproject.toml resolves to today (every package of the dev install).
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .venv-constraints/bin/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf .venv-constraints
