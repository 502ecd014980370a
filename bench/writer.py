"""A steady writer for the long-tail runs: writes through O's API at a fixed rate, in a process of its own.

    python -m bench.writer --base http://127.0.0.1:8313 --token TOKEN --rate 2 --database-url URL [--seed 24]

Prints `ready` once it has the projects' ids, writes until SIGTERM or SIGINT, then prints what it did
as JSON on stdout: writes made, seconds, the rate achieved, errors by status, and the writes' p50/p99
latency. Three writes in four change a random project's description (`GET` for its ETag, then `PATCH`
with `If-Match`, as a client must); the fourth adds a follow-up to one (`POST`). A project's write raises
the data generation, which empties O's answer cache (projects/summary_cache.py): that, and the rows it
locks, is what a writer does to the readers. The writes run on a schedule (`start + i / rate`); a write
that falls behind it is not made up for by a burst, so the rate is the target or less, never more.

Every variant's "with writer" run has this same writer writing through O (F and O read the same
database), so all of them see the same write load, O's CPU for the writes included.
"""

# Runs the project's own manage.py; seeded draws, not secrets; requests to our own local server only.
# ruff: noqa: S603, S311, S310
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date
from typing import Any

import psycopg

from bench import db

USERNAME = "bench_writer"
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def issue_token(url: str) -> str:
    """A token of a superuser `bench_writer` in the bench database, made with the project's own commands."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT 1 FROM auth_user WHERE username = %s", [USERNAME]).fetchone()
    if not exists:
        create = ["createsuperuser", "--noinput", "--username", USERNAME, "--email", "bench@example.invalid"]
        command = [sys.executable, "manage.py", *create]
        subprocess.run(command, cwd=db.BASE_DIR, env=env, check=True, capture_output=True)
    issued = subprocess.run(
        [sys.executable, "manage.py", "issue_token", USERNAME, "--hours", "24"],
        cwd=db.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return issued.stdout.strip()


class Writer:
    def __init__(self, base: str, token: str, project_ids: list[int], seed: int) -> None:
        self.base = base.rstrip("/")
        self.headers = {**PROXY_HEADERS, "Authorization": f"Token {token}", "Accept": "application/json"}
        self.project_ids = project_ids
        self.rng = random.Random(f"writer-{seed}")
        self.statuses: dict[int, int] = {}
        self.latencies_ms: list[float] = []
        self.failures: list[str] = []

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=data,
            method=method,
            headers={**self.headers, **({"Content-Type": "application/json"} if data else {}), **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            detail = error.read()[:200].decode(errors="replace")
            self.failures.append(f"{method} {path}: {error.code} {detail}")
            return error.code, dict(error.headers)

    def write(self, number: int) -> None:
        project = self.rng.choice(self.project_ids)
        started = time.perf_counter()
        if number % 4 == 3:
            body = {"happened_on": date.today().isoformat(), "action": f"bench follow-up {number}"}
            status, _ = self.call("POST", f"/api/v1/projects/{project}/follow-ups/", body)
        else:
            status, headers = self.call("GET", f"/api/v1/projects/{project}/")
            if status == 200:
                etag = headers.get("ETag") or headers.get("Etag") or ""
                body = {"description": f"bench write {number}"}
                status, _ = self.call("PATCH", f"/api/v1/projects/{project}/", body, {"If-Match": etag})
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def run(self, rate: float, stop: threading.Event) -> dict[str, Any]:
        began = started = time.monotonic()
        number = 0
        while not stop.is_set():
            due = started + (number + 1) / rate  # the first write one interval in: `rate` writes in each second
            wait = due - time.monotonic()
            if wait > 0 and stop.wait(wait):
                break
            try:
                self.write(number)
            except OSError as error:  # a refused or dropped connection: count it and keep the schedule
                self.statuses[0] = self.statuses.get(0, 0) + 1
                self.failures.append(f"write {number}: {error}")
            number += 1
            # Past the next write's time already: the schedule starts again from now (the next write one
            # interval later) rather than sending the missed writes in a burst.
            if time.monotonic() > started + (number + 1) / rate:
                started = time.monotonic() - number / rate
        return self.summary(time.monotonic() - began, rate)

    def summary(self, seconds: float, rate: float) -> dict[str, Any]:
        writes = sum(self.statuses.values())
        ok = sum(n for status, n in self.statuses.items() if 200 <= status < 300)
        latencies = sorted(self.latencies_ms)
        return {
            "target_per_second": rate,
            "writes": writes,
            "seconds": round(seconds, 2),
            "per_second": round(writes / seconds, 3) if seconds > 0 else 0.0,
            "errors": writes - ok,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1) if latencies else None,
            "first_failures": self.failures[:5],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="O's address, e.g. http://127.0.0.1:8313")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=2.0, help="writes per second")
    parser.add_argument("--database-url", required=True, help="the bench database, for the projects' ids")
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args(argv)
    with psycopg.connect(args.database_url) as conn:
        ids = [pk for (pk,) in conn.execute("SELECT id FROM projects_project WHERE kind = 'project' ORDER BY id")]
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print("ready", flush=True)  # the runner starts timing once the writer is about to write
    print(json.dumps(Writer(args.base, args.token, ids, args.seed).run(args.rate, stop)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
