# Two commands a reader needs (see README.md):
#   make book   build the HTML book into _build/html from the committed notebooks
#   make test   unit tests + re-execute every chapter at the small scale and compare outputs
#               (pytest --nbval) + build the book with warnings as errors; under the numerical
#               pins of ibbook/pins.py, so the outputs are the same bits on any x86-64 CPU
#   make test-tolerant   the same, numbers compared within IBBOOK_NBVAL_RTOL (default 0.1) and
#               without the pins: for machines the pins do not cover (see README)
# Both create .venv from requirements.lock on first use (and again when the lock changes).

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHAPTERS := $(shell $(PYTHON) -c "import re,sys; print(' '.join(f + '.ipynb' for f in re.findall(r'file:\s*(chapters/\S+)', open('_toc.yml').read()) if __import__('os').path.exists(f + '.ipynb')))")

.PHONY: book test test-tolerant unit nbval execute bench lock clean env

# The numerical pins (thread count, ATen / oneDNN / MKL code paths), exported by the targets that
# execute chapters; IBBOOK_PINS=0 turns them off.
PIN = eval "$$($(BIN)/python -m ibbook.pins)"
NBVAL_RTOL ?= 0.1

$(STAMP): requirements.lock requirements-nodeps.lock pyproject.toml
	@$(PYTHON) -c "import sys; assert sys.version_info[:2] == (3, 11), f'Python 3.11 is needed, found {sys.version.split()[0]} at {sys.executable}; set PYTHON=/path/to/python3.11'"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

env: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "Open _build/html/index.html in a browser."

# Fresh artefact and result folders, so that every chapter is computed from scratch and the
# committed result files in data/results are never overwritten by a test run.
test: $(STAMP)
	@set -euo pipefail; $(PIN); \
	scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	export IBBOOK_ARTIFACTS=$$scratch/artifacts IBBOOK_RESULTS=$$scratch/results JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter; \
	$(BIN)/python -m pytest tests $(CHAPTERS) --nbval --nbval-current-env \
	    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 1800 -p no:cacheprovider; \
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test-tolerant: $(STAMP)
	$(MAKE) test IBBOOK_PINS=0 IBBOOK_NBVAL_RTOL=$(NBVAL_RTOL)

unit: $(STAMP)
	$(BIN)/python -m pytest tests

# Re-execute the committed chapters at their default (small) scale, in place, from fresh artefact
# folders as the test does (so that the committed outputs are the ones CI will compare against);
# the small-scale result files in data/results are refreshed.
# One chapter: make execute CHAPTERS=chapters/attacks.ipynb
execute: $(STAMP)
	@set -euo pipefail; $(PIN); \
	scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	export IBBOOK_ARTIFACTS=$$scratch/artifacts; \
	$(BIN)/python -m ibbook.run --inplace $(CHAPTERS)

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Refresh the lock from pyproject.toml (needs the package registry).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet ".[book,test]"
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v -E '^(ibbook|pip)( @|==)' > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf _build
