"""The WSGI application gunicorn serves (scripts/entrypoint.sh; the benchmark's O)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from database import devdb

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
devdb.export_url()  # the embedded PostgreSQL, unless DATABASE_URL names a server

application = get_wsgi_application()

# What is loaded by now (Django, the apps, and with the URL patterns every view and serializer: some 120,000
# objects) lives as long as the worker. Frozen, the garbage collector's full passes no longer walk it. Measured
# in one process on 5,000 cached list pages at tier M: unfrozen, a full pass paused the worker for 95 to 115 ms
# and the slowest page took as long; frozen, the slowest page took under 10 ms, with the same mean.
get_resolver().url_patterns  # noqa: B018 - imports every view and serializer now, to be frozen with the rest
gc.collect()
gc.freeze()
