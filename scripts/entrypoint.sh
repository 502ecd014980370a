#!/bin/sh
# The web container's entrypoint, and the last step of `make run`: bring the database up to date,
# load the seed data (idempotent), make sure an administrator exists, then serve with gunicorn.
# It expects `python` and `gunicorn` on PATH and DATABASE_URL set (make run's devdb wrapper sets it).
set -eu

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}"

cd "$(dirname "$0")/.."

python manage.py migrate --noinput
python manage.py createcachetable
python manage.py seed
python manage.py ensure_admin
if [ "${SKIP_COLLECTSTATIC:-0}" != "1" ]; then
    python manage.py collectstatic --noinput --verbosity 0
fi

shown_host="$HOST"
[ "$HOST" = "0.0.0.0" ] && shown_host="127.0.0.1"
base="http://${shown_host}:${PORT}"
cat <<MSG

  API:     ${base}/api/v1/
  Docs:    ${base}/api/docs/   (Redoc: ${base}/api/redoc/)
  Admin:   ${base}/admin/
  Dashboard: ${base}/dashboard/
  Health:  ${base}/healthz

MSG

# config/gunicorn.py: gevent workers that read each body whole before Django runs, one request at a time.
exec gunicorn config.wsgi:application \
    --config config/gunicorn.py \
    --bind "${HOST}:${PORT}" \
    --workers "${WEB_CONCURRENCY}" \
    --access-logfile - \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
