# oncosweep: two commands from a fresh clone (Python >= 3.11 and make are all that is needed).
#   make demo   create .venv, install, run the quickstart, print a summary and where results are
#   make test   create or refresh .venv, lint, run the whole test suite
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
             && echo $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv test demo lint clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: oncosweep needs Python >= 3.11 (none found on PATH; set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

lint: venv
	$(BIN)/ruff check oncosweep tests benchmarks tools
	$(BIN)/lint-imports

# one pytest worker per core (whole files per worker: module fixtures are computed once)
test: venv lint
	$(BIN)/python -m pytest -q -n auto --dist loadfile

demo: venv
	$(BIN)/python -m oncosweep.demo

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .hypothesis
