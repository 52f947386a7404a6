# The two README commands, `make demo` and `make test`, each bootstrap what they need on a fresh
# machine with Python 3.10+, Node 18+ and make: a virtual environment, the JS bundle and (for
# tests) Debian's Chromium. A second run reuses what is already built.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := js/node_modules/.installed
BUNDLE := src/serving_panel/static/widget.js src/serving_panel/static/explorer.js
JS_SOURCES := $(shell find js/src -type f 2>/dev/null) js/build.mjs js/package.json
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: help demo test bootstrap build chromium lint py-lint js-lint js-test py-test format clean

help:
	@echo "make demo   JupyterLab on notebooks/quickstart.ipynb (sets everything up first)"
	@echo "make test   lint, type checks, import contracts, vitest and pytest, e2e in headless Chromium"
	@echo "make build  the JS bundle only;  make format  fix formatting;  make clean"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "serving-panel needs Python 3.10+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(JS_STAMP): js/package.json js/package-lock.json
	@node -e 'const [major] = process.versions.node.split("."); if (+major < 18) { console.error("serving-panel needs Node 18+, found " + process.version); process.exit(1); }'
	cd js && npm ci --no-audit --no-fund
	touch $@

$(BUNDLE) &: $(JS_STAMP) $(JS_SOURCES)
	cd js && npm run build

# The bundle comes first, so the package's build hook finds it and skips its own npm run.
$(PY_STAMP): pyproject.toml $(BIN)/python | $(BUNDLE)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

build: $(BUNDLE)

bootstrap: $(PY_STAMP) $(BUNDLE)

# Debian's Chromium for the e2e tests; Playwright never downloads a browser here.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium from Debian packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing at $(CHROMIUM). Install Debian's package as root:" >&2; \
		echo "    sudo apt-get install chromium" >&2; \
		echo "or point CHROMIUM=/path/to/chromium at another build. Without it the e2e tests skip" >&2; \
		echo "(and fail under CI=true)." >&2; \
		if [ -n "$$CI" ]; then exit 1; fi; \
	fi

py-lint: $(PY_STAMP)
	$(BIN)/ruff check src tests benchmarks demo
	$(BIN)/ruff format --check src tests benchmarks demo
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

js-lint: $(JS_STAMP)
	cd js && npm run --silent typecheck && npm run --silent lint

lint: py-lint js-lint

js-test: $(JS_STAMP)
	cd js && npm test

py-test: bootstrap
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest $(PYTEST_ARGS)

test: bootstrap chromium lint js-test py-test

# One line out: the URL to open (demo/launch.py; JupyterLab's own output goes to .demo/).
demo: bootstrap
	@$(BIN)/python demo/launch.py $(ALLOW_ROOT)

format: $(PY_STAMP) $(JS_STAMP)
	$(BIN)/ruff format src tests benchmarks demo
	$(BIN)/ruff check --fix src tests benchmarks demo
	cd js && npm run --silent format

clean:
	rm -rf $(VENV) .demo js/node_modules src/serving_panel/static dist build .mypy_cache .ruff_cache .pytest_cache
