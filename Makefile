# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint venv clean bench labextension lint-ts test-ts test-ui chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# `jupyter-builder develop` (make labextension) leaves an install.json in the build output,
	# which the wheel also adds from labextension/: remove it so a re-install does not fail.
	rm -f mlestar_lab/labextension/install.json
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/mlestar demo

lint: venv
	$(BIN)/ruff check mlestar_lab tests ui-tests benchmarks
	$(BIN)/ruff format --check mlestar_lab tests ui-tests benchmarks

# pytest spreads test files over PYTEST_WORKERS processes (0: all in this one).
PYTEST_WORKERS ?= 2

test: lint lint-ts test-ts
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile
	$(MAKE) test-ui

# The side-by-side benchmark: per task the agent, then LightGBM (seconds), then FLAML, each graded
# on the hidden answers; it takes about 2 x BENCH_BUDGET per task.
BENCH_TASKS ?= ../shared/bench/tasks
BENCH_ANSWERS ?= ../shared/bench/answers
BENCH_BUDGET ?= 5m
BENCH_OUT ?= benchmarks/results

bench: venv
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/mlestar bench $(BENCH_TASKS) --answers $(BENCH_ANSWERS) --time-budget $(BENCH_BUDGET) --out $(BENCH_OUT)

# Notebook against script, fixed cost per notebook, 1 against 2 workers: interleaved, as ratios.
.PHONY: bench-executor
bench-executor: venv
	$(BIN)/python benchmarks/bench_executor.py

clean:
	rm -rf $(VENV) mlestar-runs .pytest_cache .ruff_cache node_modules ui-tests/node_modules lib build mlestar_lab/labextension test-artifacts

# The JupyterLab panel (TypeScript in labextension/, browser tests in ui-tests/). `jlpm` is the
# yarn that jupyter-builder ships into the virtualenv; node must be on PATH. Playwright never
# downloads a browser: the tests drive Debian's /usr/bin/chromium.
JLPM := PATH=$(abspath $(BIN)):$$PATH PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(abspath $(BIN))/jlpm
NODE_STAMP := node_modules/.mlestar-stamp
UI_STAMP := ui-tests/node_modules/.mlestar-stamp
PANEL_SOURCES := $(shell find labextension -type f 2>/dev/null) package.json tsconfig.json

$(NODE_STAMP): package.json yarn.lock $(STAMP)
	$(JLPM) install
	touch $@

$(UI_STAMP): ui-tests/package.json ui-tests/yarn.lock $(STAMP)
	cd ui-tests && $(JLPM) install
	touch $@

# Build the panel into mlestar_lab/labextension and link it into the virtualenv's JupyterLab.
mlestar_lab/labextension/package.json: $(NODE_STAMP) $(PANEL_SOURCES)
	$(JLPM) build:prod
	$(BIN)/jupyter-builder develop --overwrite .
	touch $@

labextension: mlestar_lab/labextension/package.json

lint-ts: $(NODE_STAMP) $(UI_STAMP)
	$(JLPM) typecheck
	$(JLPM) lint
	cd ui-tests && $(JLPM) typecheck

test-ts: $(NODE_STAMP)
	$(JLPM) test:unit

chromium:
	@test -x /usr/bin/chromium || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test-ui: labextension chromium $(UI_STAMP)
	cd ui-tests && $(JLPM) test
