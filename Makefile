# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint venv clean

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

clean:
	rm -rf $(VENV) mlestar-runs .pytest_cache .ruff_cache
