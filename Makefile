# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
# Starts the embedded PostgreSQL unless DATABASE_URL is set, and stops what it started afterwards.
WITH_DB := $(BIN)/python -m database.devdb run --
PYTEST_ARGS ?=
# Translations: each locale/<language>/LC_MESSAGES/django.po is compiled to a git-ignored .mo.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)
# compilemessages reads the settings but never the database: a placeholder URL keeps the
# settings from starting the embedded PostgreSQL for it.
NO_DB := DATABASE_URL=postgres://unused@localhost/unused

.PHONY: help install messages run test check stop db-status fmt lock clean bench backup restore

help:
	@echo "make run     set up everything and serve on http://127.0.0.1:8000 (Ctrl-C stops it)"
	@echo "make test    set up everything and run the static checks and the whole test suite"
	@echo "make check   static checks only: ruff, migrations, OpenAPI validation"
	@echo "make messages compile the translations (locale/*/LC_MESSAGES/*.po)"
	@echo "make stop    stop the embedded PostgreSQL if one was left running"
	@echo "make fmt     format and autofix with ruff"
	@echo "make lock    re-pin requirements.lock from pyproject.toml"
	@echo "make backup  dump the database to .data/backups/ (or BACKUP=file), custom format"
	@echo "make restore BACKUP=file  restore a dump into an empty database (RESTORE_DB=name: another one)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

install: $(VENV)/.installed

messages: $(MO_FILES)

$(MO_FILES): %.mo: %.po | $(VENV)/.installed
	@command -v msgfmt >/dev/null 2>&1 || { echo "msgfmt not found: install GNU gettext (apt-get install gettext, brew install gettext)" >&2; exit 1; }
	$(NO_DB) $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=.data --verbosity 0

run: install messages
	$(WITH_DB) sh scripts/entrypoint.sh

test: install messages
	$(WITH_DB) sh -c 'sh scripts/check.sh && python -m pytest $(PYTEST_ARGS)'

check: install messages
	$(WITH_DB) sh scripts/check.sh

stop: install
	$(BIN)/python -m database.devdb stop

db-status: install
	$(BIN)/python -m database.devdb status

fmt: install
	ruff format . && ruff check --fix .

lock: install
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

# pg_dump / pg_restore of the embedded server, or of DATABASE_URL's (scripts/dbbackup.py,
# docs/operations/backup-restore-upgrade.md). A restore goes into an empty database only.
BACKUP ?=
RESTORE_DB ?=
backup: install
	$(WITH_DB) python scripts/dbbackup.py backup $(BACKUP)

restore: install
	@[ -n "$(BACKUP)" ] || { echo "usage: make restore BACKUP=path/to/file.dump [RESTORE_DB=name]" >&2; exit 2; }
	$(WITH_DB) python scripts/dbbackup.py restore "$(BACKUP)" $(if $(RESTORE_DB),--database "$(RESTORE_DB)")

# Not part of `make test`: loads a data tier into its own database (tracker_bench) and times F, N and O
# with wrk, then the long tail of many URLs with and without a writer (BENCH_TIER=S|M|L, BENCH_DURATION,
# BENCH_ROUNDS, BENCH_LONGTAIL=on|off|only; see bench/README.md).
bench: install messages
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
	$(WITH_DB) python -m bench.run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache $(MO_FILES)
