# Two commands do all set-up on a fresh machine:
#   make run    install into .venv (first time) and open the app on the bundled corpus
#   make test   install into .venv (first time) and run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch==2.13.0 resolves to the CPU build already on this machine, not a CUDA download.
	$(BIN)/pip install --quiet -e '.[test]'
	# Compiles the numba kernels of a first Train and map into their on-disk caches (half a minute,
	# once): compiled at the first start instead, they would hold up the window for that long.
	$(BIN)/python -m explorer warm-up
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m explorer

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python tools/import_cycles.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python tests/benchmarks/bench_word2vec.py
