# oncosweep: two commands from a fresh clone (Python >= 3.11 and make are all that is needed).
#   make demo   create .venv, install, run the quickstart, print a summary and where results are
#   make test   create or refresh .venv, lint, run the whole test suite
#   make test-slurm   (root, Debian) a one-node SLURM cluster on this machine, then the sweep
#               tests against it (tests/test_slurm.py, ~1.5 min; not part of `make test`)
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
             command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
             && echo $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv test test-slurm demo lint clean

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

# one pytest worker per core (whole files per worker: module fixtures are computed once);
# the tests that need a SLURM cluster are `make test-slurm`'s
test: venv lint
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m "not slurm"

# installs slurm + munge with apt if missing and starts them (tools/slurm_local.sh; stop them
# with `tools/slurm_local.sh stop`); ONCOSWEEP_SLURM=1: a cluster that is not up fails the tests
test-slurm: venv
	tools/slurm_local.sh start
	ONCOSWEEP_SLURM=1 $(BIN)/python -m pytest -q -s -m slurm tests/test_slurm.py

demo: venv
	$(BIN)/python -m oncosweep.demo

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .hypothesis
