# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
# Starts the embedded PostgreSQL unless DATABASE_URL is set, and stops what it started afterwards.
WITH_DB := $(BIN)/python -m config.devdb run --
PYTEST_ARGS ?=

.PHONY: help install run test check stop db-status fmt lock clean

help:
	@echo "make run     set up everything and serve on http://127.0.0.1:8000 (Ctrl-C stops it)"
	@echo "make test    set up everything and run the static checks and the whole test suite"
	@echo "make check   static checks only: ruff, migrations, OpenAPI validation"
	@echo "make stop    stop the embedded PostgreSQL if one was left running"
	@echo "make fmt     format and autofix with ruff"
	@echo "make lock    re-pin requirements.lock from pyproject.toml"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(VENV)/.installed

run: install
	$(WITH_DB) sh scripts/entrypoint.sh

test: install
	$(WITH_DB) sh -c 'sh scripts/check.sh && python -m pytest $(PYTEST_ARGS)'

check: install
	$(WITH_DB) sh scripts/check.sh

stop: install
	$(BIN)/python -m config.devdb stop

db-status: install
	$(BIN)/python -m config.devdb status

fmt: install
	ruff format . && ruff check --fix .

lock: install
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
