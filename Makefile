# Two commands for a fresh machine with only Python and the package index:
#   make demo   installs into .venv and runs the default ruleset over the bundled sample
#   make test   installs with the test extras and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml examples/clientwise-nps/pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,durable]" -e examples/clientwise-nps
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/clientwise demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/bench_evaluate.py --customers 10000 100000 1000000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
