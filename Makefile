# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint venv clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/mlestar demo

lint: venv
	$(BIN)/ruff check mlestar_lab tests
	$(BIN)/ruff format --check mlestar_lab tests

test: lint
	$(BIN)/python -m pytest -q

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
	rm -rf $(VENV) mlestar-runs .pytest_cache .ruff_cache
