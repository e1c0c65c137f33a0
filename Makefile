# Two commands do everything on a fresh machine (see README.md): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo
DEMO_PORT ?= 8800

.PHONY: demo test test-any-day bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Server on 127.0.0.1 with a seeded demo account, and the desk app signed in against it.
demo: $(STAMP)
	$(BIN)/frontdesk-server demo --data-dir $(DEMO_DIR) --port $(DEMO_PORT)

# The whole test suite (UI tests run offscreen). -rs lists every skipped test at the end with why,
# and what to install to run it (CUPS, poppler, PgBouncer, pg_dump: see README).
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -rs -p no:cacheprovider

# The desk and sync tests again on a Sunday one minute before midnight at the locations,
# on a computer whose zone is 20 hours ahead of theirs: no test may depend on the day, hour or zone.
ANY_DAY ?= 2026-12-13T23:59
ANY_TZ ?= Pacific/Kiritimati
test-any-day: $(STAMP)
	FRONTDESK_TEST_NOW=$(ANY_DAY) TZ=$(ANY_TZ) QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -rs -p no:cacheprovider tests/desk tests/sync

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) build dist *.egg-info
