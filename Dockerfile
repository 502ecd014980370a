# The tracker's web image: gunicorn serving Django, static files and compiled translations baked
# in, static files served by WhiteNoise. The entrypoint starts gunicorn with config/gunicorn.py
# (gevent workers), as `make run` does.

# The translations (locale/*/LC_MESSAGES/*.po) compiled to .mo files. GNU gettext's msgfmt is only
# needed for this, so it stays in this stage; the loop runs what `manage.py compilemessages` runs.
FROM python:3.12-slim AS messages
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY locale /locale
RUN set -e; for po in /locale/*/LC_MESSAGES/*.po; do msgfmt --check-format -o "${po%.po}.mo" "$po"; done

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    SKIP_COLLECTSTATIC=1 \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
COPY --from=messages /locale/ /app/locale/
# collectstatic needs settings but no database or real secret: throwaway values for this one step.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --create-home --uid 10001 tracker && chown -R tracker /app/staticfiles
USER tracker

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
ENTRYPOINT ["sh", "scripts/entrypoint.sh"]
