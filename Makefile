# Two commands do everything on a fresh machine (see README.md): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo
DEMO_PORT ?= 8800

.PHONY: demo test bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Server on 127.0.0.1 with a seeded demo account, and the desk app signed in against it.
demo: $(STAMP)
	$(BIN)/frontdesk-server demo --data-dir $(DEMO_DIR) --port $(DEMO_PORT)

# The whole test suite (UI tests run offscreen).
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) build dist *.egg-info
