"""SQL queries per request, counted in-process (no pg_stat_statements needed).

    python -m bench.count F|N|O PATH [PATH ...]   -> JSON {path: queries} on stdout

N and O: each request goes through Django's test client twice, and the second one is counted
with CaptureQueriesContext on every connection (replicas included, if any), so that
one-time work (a first connection, caches) is not counted. F: the floor's own execute counter.
Paths may end in `#304`: the request then carries If-None-Match with the detail's ETag.
"""

from __future__ import annotations

import json
import os
import sys

HEADERS = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "127.0.0.1"}


def count_floor(paths: list[str]) -> dict[str, int]:
    from bench import floor

    def call(path: str, etag: str | None = None) -> tuple[str, dict]:
        route, _, query = path.partition("?")
        environ = {"PATH_INFO": route, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1", "REQUEST_METHOD": "GET"}
        if etag:
            environ["HTTP_IF_NONE_MATCH"] = etag
        seen: dict = {}
        floor.application(environ, lambda status, headers: seen.update(status=status, headers=dict(headers)))
        return seen["status"], seen["headers"]

    result = {}
    for path in paths:
        target, _, conditional = path.partition("#")
        etag = call(target)[1].get("ETag") if conditional else None
        call(target, etag)
        before = floor.QUERIES["count"]
        call(target, etag)
        result[path] = floor.QUERIES["count"] - before
    return result


def count_django(paths: list[str]) -> dict[str, int]:
    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # lets the test client run; the database stays the benchmark's
    client = Client(**HEADERS)
    result = {}
    for path in paths:
        target, _, conditional = path.partition("#")
        extra = {}
        if conditional:
            extra["HTTP_IF_NONE_MATCH"] = client.get(target)["ETag"]
        client.get(target, **extra)
        contexts = [CaptureQueriesContext(connections[alias]) for alias in connections]
        for context in contexts:
            context.__enter__()
        response = client.get(target, **extra)
        for context in contexts:
            context.__exit__(None, None, None)
        if response.status_code not in (200, 304):
            raise SystemExit(f"{path}: status {response.status_code}")
        result[path] = sum(len(context.captured_queries) for context in contexts)
    return result


def main(argv: list[str]) -> int:
    variant, paths = argv[0], argv[1:]
    if variant == "F":
        counts = count_floor(paths)
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
        counts = count_django(paths)
    json.dump(counts, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
