"""gunicorn's settings for `make run` and the Docker image alike (scripts/entrypoint.sh passes `-c`).

gevent workers, so that a client sending its body slowly costs a connection, not a worker; each worker
still runs Django one request at a time, once the body is in (config/serving.py). Command-line options
(`--workers`, `--bind`) win over these.

Nothing is imported here at the top but `os`: gunicorn's master reads this file before a worker forks
and patches the standard library for gevent, and a module imported before the patch keeps the blocking
versions.
"""

import os

worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Open connections per worker: each costs a greenlet and, while its body arrives, that body's bytes (at most
# API_MAX_BODY_BYTES). Requests beyond what Django gets through queue here rather than in the kernel.
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", "1000"))
# A body that has not arrived whole after this many seconds is answered 408.
body_timeout = float(os.environ.get("WEB_BODY_TIMEOUT", "30"))
# Bodies outside the API (the admin's file imports); the API's bound is API_MAX_BODY_BYTES.
max_upload_bytes = int(os.environ.get("WEB_MAX_UPLOAD_BYTES", str(32 * 1024 * 1024)))


def post_worker_init(worker) -> None:
    from django.conf import settings

    from api.middleware import API_PREFIX
    from config.serving import BufferedApp

    worker.wsgi = BufferedApp(
        worker.wsgi,
        max_body_bytes=settings.API_MAX_BODY_BYTES,
        max_upload_bytes=max_upload_bytes,
        api_prefix=API_PREFIX,
        body_seconds=body_timeout,
    )
