#!/bin/sh
# Static checks: lint, formatting, migrations in step with models, a valid OpenAPI document.
set -eu
cd "$(dirname "$0")/.."
echo "== ruff check";        ruff check .
echo "== ruff format";       ruff format --check .
echo "== migrations";        python manage.py makemigrations --check --dry-run
echo "== openapi";           python manage.py spectacular --validate --fail-on-warn --file /dev/null
echo "static checks passed"
