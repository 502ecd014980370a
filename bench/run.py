"""The benchmark: load a tier, serve F, N and O side by side, check they agree, time them with wrk, report.

    python -m bench.run            (what `make bench` runs)

Environment: BENCH_TIER (S, M or L; default S), BENCH_DURATION (seconds per wrk run; 20),
BENCH_ROUNDS (3), BENCH_WARMUP (seconds; 3), BENCH_IDLE_WAIT (seconds to wait for an idle
machine before going on with a warning; 60), BENCH_DATABASE (tracker_bench), DATABASE_URL (the
server; else the embedded one), BENCH_LONGTAIL (on, off or only), BENCH_ENDPOINTS, BENCH_WRITES,
BENCH_PORT_BASE, BENCH_RESULTS; see bench/README.md. Results go to bench/results/<timestamp>-<tier>.{json,md}.
"""

# Runs our own local tools (git, wrk, gunicorn) with arguments of its own making; en dashes in the report.
# ruff: noqa: S603, S607, RUF001
from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import db, longtail
from bench.compare import Endpoint, compare, compare_answers, pick_endpoints
from bench.writer import issue_token

RESULTS = Path(os.environ.get("BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
VARIANTS = {
    "F": "bench.floor:application",
    "N": "bench.naive.wsgi:application",
    "O": "config.wsgi:application",
}
FIXED_VARIANTS = ("F", "N", "O")  # the fixed endpoints' variants
# Consecutive ports from BENCH_PORT_BASE, so that two benches on one machine can run on different ones.
PORTS = {variant: int(os.environ.get("BENCH_PORT_BASE") or 8311) + i for i, variant in enumerate(VARIANTS)}
WORKERS = 2
# O runs behind a TLS proxy in production: say so, or its SECURE_SSL_REDIRECT answers 301.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------------


def _cpu_sample() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


def busy_fraction(seconds: float = 1.0) -> float:
    total0, idle0 = _cpu_sample()
    time.sleep(seconds)
    total1, idle1 = _cpu_sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_idle(max_wait: int, threshold: float = 0.15) -> dict[str, Any]:
    """Sample /proc/stat until the CPUs are mostly idle (or max_wait passes); record what was seen."""
    started = time.monotonic()
    while True:
        busy = busy_fraction()
        waited = time.monotonic() - started
        if busy <= threshold or waited >= max_wait:
            idle = busy <= threshold
            if not idle:
                log(f"  WARNING: machine busy ({busy:.0%} CPU in use, load {os.getloadavg()[0]:.2f}); timing anyway")
            return {
                "busy": round(busy, 3),
                "load1": round(os.getloadavg()[0], 2),
                "idle": idle,
                "waited_s": round(waited),
            }
        time.sleep(2)


# Queries of the bench database still executing, ours aside.
LEFT_OVER = """
FROM pg_stat_activity
WHERE datname = current_database() AND state = 'active' AND backend_type = 'client backend'
  AND pid <> pg_backend_pid()
"""
ACTIVE_QUERIES = "SELECT pid " + LEFT_OVER
CANCEL_QUERIES = "SELECT pg_cancel_backend(pid) " + LEFT_OVER


def settle_database(conninfo: str | dict[str, Any], max_wait: float = 60.0, quiet: float = 0.5) -> float:
    """Wait until no query has executed on the bench database for `quiet` seconds; after `max_wait`
    seconds, cancel whatever executes. Returns the seconds waited.

    When wrk stops, a server may still be running the requests it had started, and has those wrk sent
    meanwhile in its socket's backlog: at tier L a summary of F or N takes seconds (N's, 30 queries).
    They would take the CPUs from the next variant's run. The quiet period covers the gaps between one
    request's queries and the start of the next request.
    """
    start = time.monotonic()
    quiet_since: float | None = None
    params = {"conninfo": conninfo} if isinstance(conninfo, str) else conninfo
    with psycopg.connect(**params, autocommit=True) as conn:
        while time.monotonic() - start < 3 * max_wait:
            now = time.monotonic()
            if conn.execute(ACTIVE_QUERIES).fetchall():
                quiet_since = None
                if now - start > max_wait:
                    conn.execute(CANCEL_QUERIES)
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= quiet:
                break
            time.sleep(0.05)
    return round(time.monotonic() - start, 2)


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --------------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------------


@functools.cache
def o_cache_url() -> str:
    """The Redis O's shared cache (throttle counters) uses, as a multi-worker production does; empty: none.

    `REDIS_URL` when set; otherwise the machine's Redis on 127.0.0.1:6379 (database 15) if one
    answers; otherwise O keeps the database cache (and its queries show in the report).
    """
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/15"
    except OSError:
        pass
    return ""


def o_answer_cache() -> str:
    """What O serves from its answer cache (projects/summary_cache.py), as the report states it."""
    return (
        "summaries only: wrk repeats one request, so after the first one O answers a summary from the cache "
        "(one lookup); list pages and details are computed on every request (written by PostgreSQL)"
    )


def server_env(variant: str, url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(db.BASE_DIR)}
    env.pop("REDIS_URL", None)
    if variant == "O":
        if o_cache_url():
            env["REDIS_URL"] = o_cache_url()
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            # Production throttles anonymous clients to 120/min; wrk is one client. The throttle still
            # runs (and its cache queries count), it just never refuses. Per second, not per minute: DRF's
            # throttle keeps the client's request times over the rate's period and writes them back to the
            # cache on every request. Production's 120/min keeps at most 120; a per-minute rate wrk never
            # reaches would keep a minute of wrk's requests (tens of thousands: about 3 ms of pickling
            # per request, more than a whole 304), a state no production client can reach.
            API_THROTTLE_ANON="1000000000/s",
            API_THROTTLE_USER="1000000000/s",
            DJANGO_LOG_LEVEL="WARNING",
        )
    elif variant == "N":
        env["DJANGO_SETTINGS_MODULE"] = "bench.naive.settings"
    return env


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start_server(variant: str, url: str, logs: Path) -> subprocess.Popen:
    if not port_free(PORTS[variant]):
        # Another server there would answer instead, and its workers' CPU would not be measured.
        raise RuntimeError(f"port {PORTS[variant]} is in use; stop what listens there")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, VARIANTS[variant], "--workers", str(WORKERS), "--bind", f"127.0.0.1:{PORTS[variant]}"]
    out = (logs / f"gunicorn-{variant}.log").open("w")
    return subprocess.Popen(
        command, cwd=db.BASE_DIR, env=server_env(variant, url), stdout=out, stderr=out, start_new_session=True
    )


def get(variant: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORTS[variant]}{path}", headers={**PROXY_HEADERS, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - our own local servers
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_up(variant: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{variant}'s gunicorn exited; see {RESULTS}/logs/gunicorn-{variant}.log")
        try:
            status, _, _ = get(variant, "/api/v1/regions/__none__/")
            if status in (200, 404):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{variant} did not come up within {timeout} s")


def check_workers(variant: str, process: subprocess.Popen) -> None:
    if process.poll() is not None or len(worker_pids(process.pid)) != WORKERS:
        raise RuntimeError(f"{variant}'s gunicorn is not running {WORKERS} workers; see {RESULTS}/logs/")


def worker_pids(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def peak_memory_kib(pids: list[int]) -> list[int]:
    peaks = []
    for pid in pids:
        match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        peaks.append(int(match.group(1)) if match else 0)
    return peaks


# --------------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    latencies = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(latencies["50"]),
        "p99_ms": _ms(latencies["99"]),
        "non_2xx_3xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
    }


def wrk(variant: str, path: str, seconds: int, headers: dict[str, str]) -> dict[str, Any]:
    command = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for name, value in {**PROXY_HEADERS, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{PORTS[variant]}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


def wrk_walk(variant: str, urls_file: Path, start: int, seconds: int) -> dict[str, Any]:
    """wrk walking a file of URLs from line `start` (bench/longtail.lua); responses counted by status."""
    command = ["wrk", "-t1", "-c4", f"-d{seconds}s", "--latency", "--timeout", "30s", "-s", str(longtail.SCRIPT)]
    for name, value in PROXY_HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{PORTS[variant]}", "--", str(urls_file), str(start)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = parse_wrk(output)
    result["statuses"] = {str(status): n for status, n in longtail.parse_statuses(output).items()}
    not_found = result["statuses"].get("404", 0)
    result["not_found"] = not_found
    # Not errors: a 404 past a list's last page is the answer. Anything else that is not a 2xx is one.
    result["errors"] = result["non_2xx_3xx"] - not_found + result["socket_errors"]
    return result


# --------------------------------------------------------------------------------------------------
# The long tail: many URLs (bench/longtail.py), with and without a steady writer (bench/writer.py)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # as bench.compare's endpoints: list, summary or record
    variants: tuple[str, ...]
    urls: tuple[str, ...]
    file: Path
    sample: int  # URLs compared between the variants before timing


def longtail_scenarios(conn: psycopg.Connection, directory: Path) -> list[Scenario]:
    count = env_int("BENCH_LONGTAIL_URLS", 10_000)
    details = env_int("BENCH_LONGTAIL_DETAILS", 5_000)
    seed = env_int("BENCH_LONGTAIL_SEED", 24)
    vocab = longtail.vocabulary(conn)
    drawn = [
        ("lt_list", "list", ("F", "O"), longtail.list_urls(vocab, count, seed), 100),
        ("lt_summary", "summary", ("F", "O"), longtail.summary_urls(vocab, count, seed), 40),
        ("lt_detail", "record", ("F", "O"), longtail.detail_urls(vocab, details, seed), 40),
        ("lt_search", "list", ("F", "O"), longtail.search_urls(vocab, count, seed), 60),
        ("lt_ageing", "summary", ("O",), longtail.analytics_urls(longtail.AGEING_PATH, vocab, count, seed), 10),
        (
            "lt_funnel",
            "summary",
            ("O",),
            longtail.analytics_urls(longtail.FUNNEL_PATH, vocab, count, seed, {"cohort": longtail.COHORTS}),
            10,
        ),
    ]
    directory.mkdir(parents=True, exist_ok=True)
    return [
        Scenario(name, kind, variants, tuple(urls), longtail.write_urls(directory / f"{name}.txt", urls), sample)
        for name, kind, variants, urls, sample in drawn
    ]


def check_longtail_agreement(scenarios: list[Scenario]) -> dict[str, dict[str, Any]]:
    """A sample of each scenario's URLs from each of its variants: same statuses, same rows and fields."""
    checks = {}
    for scenario in scenarios:
        problems: list[str] = []
        statuses: dict[str, int] = {}
        urls = longtail.sample(scenario.urls, scenario.sample)
        for path in urls:
            answers = {}
            for variant in scenario.variants:
                status, _, body = get(variant, path)
                answers[variant] = (status, json.loads(body) if body else None)
            status_text = str(next(iter(answers.values()))[0])
            statuses[status_text] = statuses.get(status_text, 0) + 1
            problems += compare_answers(scenario.kind, path, answers)
        checks[scenario.name] = {"urls": len(urls), "statuses": statuses, "problems": problems[:20]}
        state = "same" if not problems else f"DIFFERENT ({len(problems)})"
        log(f"  {scenario.name:17} {state}: {len(urls)} URLs, statuses {statuses}")
        for problem in problems[:5]:
            log(f"      {problem[:300]}")
    return checks


@contextlib.contextmanager
def steady_writer(url: str, token: str, rate: float, seed: int, logs: Path) -> Iterator[dict[str, Any]]:
    """bench.writer writing through O while the block runs; the dict gets its summary when the block ends."""
    command = [sys.executable, "-m", "bench.writer", "--base", f"http://127.0.0.1:{PORTS['O']}", "--token", token]
    command += ["--rate", str(rate), "--database-url", url, "--seed", str(seed)]
    with (logs / "writer.log").open("a") as errors:
        process = subprocess.Popen(command, cwd=db.BASE_DIR, stdout=subprocess.PIPE, stderr=errors, text=True)
    summary: dict[str, Any] = {}
    try:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the writer did not start; see {logs}/writer.log")
        yield summary
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        lines = output.strip().splitlines()
        summary.update(json.loads(lines[-1]) if lines else {"error": f"no summary; see {logs}/writer.log"})


def run_longtail_round(
    scenarios: list[Scenario],
    *,
    round_number: int,
    rounds: int,
    url: str,
    servers: dict[str, subprocess.Popen],
    token: str,
    duration: int,
    warmup: int,
    logs: Path,
    measurements: dict[str, dict[str, dict[str, list[dict]]]],
) -> None:
    """Each scenario, writer off and on, each variant once. The variants of one run walk the same URLs from the
    same line; each (round, writer) pair starts at a line of its own, its warm-up half a file away."""
    rate = float(os.environ.get("BENCH_WRITES") or 2)
    states = ("writer_off", "writer_on") if rate > 0 else ("writer_off",)
    for scenario in scenarios:
        stride = max(1, len(scenario.urls) // (rounds * len(states)))
        for state_number, state in enumerate(states):
            start = ((round_number - 1) * len(states) + state_number) * stride % len(scenario.urls)
            warm_start = (start + len(scenario.urls) // 2) % len(scenario.urls)
            order = list(scenario.variants)
            shift = (round_number - 1) % len(order)
            for variant in order[shift:] + order[:shift]:  # rotate, so no variant always runs first
                settled = settle_database(url)
                wrk_walk(variant, scenario.file, warm_start, warmup)
                settled += settle_database(url)
                pids = worker_pids(servers[variant].pid)
                ticks = cpu_ticks(pids)
                if state == "writer_on":
                    with steady_writer(url, token, rate, round_number, logs) as writes:
                        result = wrk_walk(variant, scenario.file, start, duration)
                else:
                    writes, result = None, wrk_walk(variant, scenario.file, start, duration)
                used = cpu_ticks(pids) - ticks
                result["cpu_ms_per_request"] = round(used * 1000 / CLOCK_TICK / max(1, result["requests"]), 3)
                result["settle_seconds"] = settled
                result["start_line"] = start
                result["repeats"] = longtail.repeats(scenario.urls, start, result["requests"])
                result["writer"] = writes
                measurements[scenario.name][variant][state].append(result)
                log(
                    f"  {scenario.name:11} {variant:9} {state:10}: {result['rps']:8.1f} req/s"
                    f"  p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms"
                    f"  404s {result['not_found']}  cpu {result['cpu_ms_per_request']:6.2f} ms/req"
                    + (f"  ERRORS {result['errors']}" if result["errors"] else "")
                    + (f"  writes {writes.get('per_second')}/s, {writes.get('errors')} errors" if writes else "")
                )


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


def check_agreement(endpoints: list[Endpoint]) -> tuple[dict[str, dict], dict[str, dict[str, str]]]:
    """Each endpoint from each variant: same rows and fields. Returns the check and the ETags."""
    checks, etags = {}, {}
    for endpoint in endpoints:
        if endpoint.kind == "not_modified":
            statuses = {}
            for variant in FIXED_VARIANTS:
                etag = etags[variant]
                statuses[variant] = get(variant, endpoint.path, {"If-None-Match": etag})[0]
            problems = [f"status {statuses}"] if set(statuses.values()) != {304} else []
            checks[endpoint.name] = {"problems": problems, "fields": ["status 304 to the variant's own ETag"]}
            continue
        bodies = {}
        for variant in FIXED_VARIANTS:
            status, headers, body = get(variant, endpoint.path)
            if status != 200:
                raise RuntimeError(f"{variant} {endpoint.path}: {status} {body[:300]!r}")
            bodies[variant] = json.loads(body)
            if endpoint.name == "detail":
                etags[variant] = headers.get("ETag") or headers.get("Etag")
        problems, fields = compare(endpoint, bodies)
        checks[endpoint.name] = {"problems": problems, "fields": fields}
        state = "same" if not problems else f"DIFFERENT ({len(problems)})"
        log(f"  {endpoint.name:17} {state}: {', '.join(fields)}")
        for problem in problems[:5]:
            log(f"      {problem[:300]}")
    # Without the detail among the endpoints (BENCH_ENDPOINTS), there is no ETag and no 304 to time.
    return checks, {v: {"If-None-Match": etags[v]} for v in FIXED_VARIANTS if v in etags}


def count_queries(endpoints: list[Endpoint], url: str) -> dict[str, dict[str, int]]:
    paths = [e.path + ("#304" if e.kind == "not_modified" else "") for e in endpoints]
    counts = {}
    for variant in FIXED_VARIANTS:
        output = subprocess.run(
            [sys.executable, "-m", "bench.count", variant, *paths],
            cwd=db.BASE_DIR,
            env=server_env(variant, url),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        by_path = json.loads(output)
        counts[variant] = {e.name: by_path[p] for e, p in zip(endpoints, paths, strict=True)}
    return counts


def selected(endpoints: list[Endpoint]) -> tuple[list[Endpoint], list[str]]:
    """The fixed endpoints and the long-tail scenarios to time (BENCH_ENDPOINTS, BENCH_LONGTAIL)."""
    mode = (os.environ.get("BENCH_LONGTAIL") or "on").strip().lower()
    if mode not in ("on", "off", "only"):
        raise SystemExit(f"BENCH_LONGTAIL is on, off or only, not {mode!r}")
    scenarios = [] if mode == "off" else list(LONGTAIL_SCENARIOS)
    if mode == "only":
        endpoints = []
    if os.environ.get("BENCH_ENDPOINTS"):
        wanted = {name.strip() for name in os.environ["BENCH_ENDPOINTS"].split(",")}
        endpoints = [endpoint for endpoint in endpoints if endpoint.name in wanted]
        scenarios = [name for name in scenarios if name in wanted]
    return endpoints, scenarios


LONGTAIL_SCENARIOS = ("lt_list", "lt_summary", "lt_detail", "lt_search", "lt_ageing", "lt_funnel")


def main() -> int:
    tier = os.environ.get("BENCH_TIER", "S")
    duration = env_int("BENCH_DURATION", 20)
    rounds = env_int("BENCH_ROUNDS", 3)
    warmup = env_int("BENCH_WARMUP", 3)
    idle_wait = env_int("BENCH_IDLE_WAIT", 60)
    if not shutil.which("wrk"):
        log("wrk is not installed: apt-get install wrk (make bench does it when run as root)")
        return 2
    started = time.monotonic()
    url = db.bench_url()
    log(f"benchmark database: {url.split('?')[0]}")
    db.ensure_database(url)
    load_started = time.perf_counter()
    generate = [sys.executable, "-m", "bench.generate", "--tier", tier, "--no-migrate"]
    if os.environ.get("BENCH_RELOAD"):
        generate.append("--force")  # load the tier again, so that the report's load time is a real one
    subprocess.run(generate, check=True)
    load_seconds = round(time.perf_counter() - load_started, 1)

    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url, autocommit=True) as conn:
        endpoints, scenario_names = selected(pick_endpoints(conn))
        scenarios = [s for s in longtail_scenarios(conn, logs / "longtail") if s.name in scenario_names]
        sizes = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("regions_region", "industries_industry", "companies_company", "projects_project")
        }
    needed = set(FIXED_VARIANTS if endpoints else ()) | {v for scenario in scenarios for v in scenario.variants}
    writes_per_second = float(os.environ.get("BENCH_WRITES") or 2)
    token = issue_token(url) if scenarios and writes_per_second > 0 else ""
    servers: dict[str, subprocess.Popen] = {}
    checks, queries, conditional_headers, longtail_checks = {}, {}, {}, {}
    try:
        for variant in VARIANTS:
            if variant in needed:
                servers[variant] = start_server(variant, url, logs)
        for variant, process in servers.items():
            wait_until_up(variant, process)
            check_workers(variant, process)
        log("checking that the variants agree:")
        if endpoints:
            checks, conditional_headers = check_agreement(endpoints)
        longtail_checks = check_longtail_agreement(scenarios)
        disagree = any(c["problems"] for c in checks.values()) or any(c["problems"] for c in longtail_checks.values())
        if disagree and not os.environ.get("BENCH_ALLOW_MISMATCH"):
            log("the variants disagree (BENCH_ALLOW_MISMATCH=1 times them anyway)")
            return 1
        if endpoints:
            log("counting queries per request (in-process)")
            queries = count_queries(endpoints, url)

        measurements: dict[str, dict[str, list[dict]]] = {e.name: {v: [] for v in FIXED_VARIANTS} for e in endpoints}
        tail: dict[str, dict[str, dict[str, list[dict]]]] = {
            s.name: {v: {"writer_off": [], "writer_on": []} for v in s.variants} for s in scenarios
        }
        idle_checks = []
        order = list(FIXED_VARIANTS)
        for round_number in range(1, rounds + 1):
            log(f"round {round_number}/{rounds}: waiting for an idle machine")
            idle = wait_for_idle(idle_wait) | {"round": round_number}
            idle_checks.append(idle)
            log(f"  busy {idle['busy']:.0%}, load {idle['load1']}")
            for endpoint in endpoints:
                headers = conditional_headers if endpoint.kind == "not_modified" else {}
                for variant in order:
                    extra = headers.get(variant, {}) if headers else {}
                    settled = settle_database(url)  # what the previous run left executing
                    wrk(variant, endpoint.path, warmup, extra)
                    settled += settle_database(url)
                    pids = worker_pids(servers[variant].pid)
                    ticks = cpu_ticks(pids)
                    result = wrk(variant, endpoint.path, duration, extra)
                    used = cpu_ticks(pids) - ticks
                    result["cpu_ms_per_request"] = round(used * 1000 / CLOCK_TICK / max(1, result["requests"]), 3)
                    result["settle_seconds"] = settled
                    measurements[endpoint.name][variant].append(result)
                    log(
                        f"  {endpoint.name:17} {variant}: {result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms"
                        f"  p99 {result['p99_ms']:7.2f} ms  cpu {result['cpu_ms_per_request']:6.2f} ms/req"
                        + (f"  ERRORS {result['non_2xx_3xx']}" if result["non_2xx_3xx"] else "")
                    )
            order = order[1:] + order[:1]  # rotate, so no variant always runs first
            run_longtail_round(
                scenarios,
                round_number=round_number,
                rounds=rounds,
                url=url,
                servers=servers,
                token=token,
                duration=duration,
                warmup=warmup,
                logs=logs,
                measurements=tail,
            )
        memory = {variant: peak_memory_kib(worker_pids(process.pid)) for variant, process in servers.items()}
    finally:
        for process in servers.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in servers.values():
            process.wait(timeout=30)

    report = build_report(
        tier=tier,
        duration=duration,
        rounds=rounds,
        warmup=warmup,
        load_seconds=load_seconds,
        sizes=sizes,
        endpoints=endpoints,
        checks=checks,
        queries=queries,
        measurements=measurements,
        memory=memory,
        idle_checks=idle_checks,
    )
    report["longtail"] = build_longtail_report(scenarios, tail, longtail_checks, writes_per_second)
    report["run_seconds"] = round(time.monotonic() - started)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stamp}-{tier}.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = render_markdown(report)
    (RESULTS / f"{stamp}-{tier}.md").write_text(markdown)
    log("\n" + markdown)
    log(f"written: {RESULTS}/{stamp}-{tier}.json and .md")
    return 0


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else 0.0


def build_report(**data: Any) -> dict[str, Any]:
    summary: dict[str, dict[str, Any]] = {}
    for endpoint in data["endpoints"]:
        rows = {}
        for variant, runs in data["measurements"][endpoint.name].items():
            rps = [run["rps"] for run in runs]
            rows[variant] = {
                "rps_median": _median(rps),
                "rps_min": min(rps),
                "rps_max": max(rps),
                "p50_ms": _median([run["p50_ms"] for run in runs]),
                "p99_ms": _median([run["p99_ms"] for run in runs]),
                "queries_per_request": data["queries"][variant][endpoint.name],
                "cpu_ms_per_request": _median([run["cpu_ms_per_request"] for run in runs]),
                "errors": sum(run["non_2xx_3xx"] + run["socket_errors"] for run in runs),
                "runs": runs,
            }
        o_rps = rows["O"]["rps_median"]
        ratios = {
            "O/F": round(o_rps / rows["F"]["rps_median"], 3) if rows["F"]["rps_median"] else None,
            "O/N": round(o_rps / rows["N"]["rps_median"], 3) if rows["N"]["rps_median"] else None,
        }
        summary[endpoint.name] = {"path": endpoint.path, "variants": rows, "rps_ratios": ratios}
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "tier": data["tier"],
        "rows": data["sizes"],
        "load_seconds": data["load_seconds"],
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "o_shared_cache": o_cache_url() or "database cache (no Redis reachable)",
            "o_answer_cache": o_answer_cache(),
            "wrk": f"-t1 -c4 -d{data['duration']}s --latency (warm-up {data['warmup']} s)",
            "rounds": data["rounds"],
            "gunicorn": f"{WORKERS} sync workers, no access log",
            "variants": VARIANTS,
        },
        "idle_checks": data["idle_checks"],
        "agreement": data["checks"],
        "endpoints": {e.name: asdict(e) for e in data["endpoints"]},
        "peak_memory_mib_per_worker": {v: [round(k / 1024, 1) for k in kib] for v, kib in data["memory"].items()},
        "results": summary,
    }


def _idle_text(check: dict[str, Any]) -> str:
    text = f"round {check['round']}: {check['busy']:.0%} busy, load {check['load1']}"
    return text + ("" if check["idle"] else " (NOT IDLE: numbers are indicative only)")


def render_markdown(report: dict[str, Any]) -> str:
    idle = report["idle_checks"]
    lines = [
        f"# Benchmark, tier {report['tier']} ({report['rows']['projects_project']:,} projects)",
        "",
        f"- {report['timestamp']}, commit `{report['git_commit']}`, {report['machine']['nproc']} CPUs, "
        f"load at end {report['machine']['loadavg_at_end']}",
        f"- wrk {report['settings']['wrk']}, {report['settings']['rounds']} interleaved rounds; "
        f"gunicorn {report['settings']['gunicorn']}",
        "- idle checks: " + "; ".join(_idle_text(check) for check in idle),
        f"- data load: {report['load_seconds']} s (0 when the tier was already loaded)",
        f"- O's answer cache: {report['settings'].get('o_answer_cache', 'summaries')}",
        "- peak memory per worker (VmHWM, MiB): "
        + ", ".join(f"{v} {m}" for v, m in report["peak_memory_mib_per_worker"].items()),
    ]
    if report["results"]:
        lines += [
            "",
            "| endpoint | variant | req/s median (min–max) | p50 ms | p99 ms | queries/req | CPU ms/req | O/F | O/N |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for name, result in report["results"].items():
        for variant, row in result["variants"].items():
            ratios = result["rps_ratios"]
            errors = f" ⚠ {row['errors']} errors" if row["errors"] else ""
            lines.append(
                f"| {name} | {variant} | {row['rps_median']:.1f} ({row['rps_min']:.1f}–{row['rps_max']:.1f}){errors} "
                f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['queries_per_request']} "
                f"| {row['cpu_ms_per_request']:.2f} | "
                + (f"{ratios['O/F']} | {ratios['O/N']} |" if variant == "O" else " | |")
            )
    if report.get("longtail", {}).get("results"):
        lines += render_longtail(report["longtail"])
    disagreements = {name: c["problems"] for name, c in report["agreement"].items() if c["problems"]}
    disagreements |= {
        name: c["problems"] for name, c in report.get("longtail", {}).get("agreement", {}).items() if c["problems"]
    }
    lines += [
        "",
        "Agreement check: " + ("all variants agree." if not disagreements else f"DIFFERENCES {disagreements}"),
    ]
    if "run_seconds" in report:
        lines.append(f"\nWhole run (load, checks, rounds): {report['run_seconds']} s.")
    return "\n".join(lines) + "\n"


def _summarise_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rps = [run["rps"] for run in runs]
    writes = [run["writer"] for run in runs if run.get("writer")]
    summary = {
        "rps_median": _median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "p50_ms": _median([run["p50_ms"] for run in runs]),
        "p99_ms": _median([run["p99_ms"] for run in runs]),
        "requests": sum(run["requests"] for run in runs),
        "not_found": sum(run["not_found"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "repeats": _median([run["repeats"] for run in runs]),
        "cpu_ms_per_request": _median([run["cpu_ms_per_request"] for run in runs]),
        "runs": runs,
    }
    if writes:
        summary["writer"] = {
            "per_second": _median([w.get("per_second", 0.0) for w in writes]),
            "writes": sum(w.get("writes", 0) for w in writes),
            "errors": sum(w.get("errors", 0) for w in writes),
            "p99_ms": _median([w["p99_ms"] for w in writes if w.get("p99_ms") is not None]),
        }
    return summary


def build_longtail_report(
    scenarios: list[Scenario],
    measurements: dict[str, dict[str, dict[str, list[dict]]]],
    checks: dict[str, dict[str, Any]],
    writes_per_second: float,
) -> dict[str, Any]:
    results = {}
    for scenario in scenarios:
        rows: dict[str, dict[str, Any]] = {}
        for variant, states in measurements[scenario.name].items():
            rows[variant] = {state: _summarise_runs(runs) for state, runs in states.items() if runs}
        ratios = {}
        for state in ("writer_off", "writer_on"):
            floor_rps = rows.get("F", {}).get(state, {}).get("rps_median")
            for variant in scenario.variants:
                if variant != "F" and floor_rps and state in rows[variant]:
                    ratios[f"{variant}/F {state}"] = round(rows[variant][state]["rps_median"] / floor_rps, 3)
        results[scenario.name] = {
            "urls": len(scenario.urls),
            "distinct_urls": len(set(scenario.urls)),
            "variants": rows,
            "rps_ratios": ratios,
        }
    return {
        "settings": {
            "seed": env_int("BENCH_LONGTAIL_SEED", 24),
            "lists": "region (any level) 70 %, stage 50 %, industry 30 %, each independent; page 1-20 uniform",
            "summaries": "group_by region, industry, status or year; filters drawn as for the lists",
            "details": "ids drawn uniformly from every project's",
            "analytics": "the stage ageing, and the funnel by a cohort drawn among its three, with filters drawn as "
            "for the lists, O alone (no floor to compare)",
            "writer": f"{writes_per_second} writes/s through O's API (3 in 4 a PATCH with If-Match, 1 a POST of a "
            "follow-up), during the timed run only",
        },
        "agreement": checks,
        "results": results,
    }


VARIANT_LABELS = {"O": "O, computed"}


def render_longtail(tail: dict[str, Any]) -> list[str]:
    settings = tail["settings"]
    lines = [
        "",
        "## Long tail: many different URLs",
        "",
        f"- lists: {settings['lists']}; summaries: {settings['summaries']}; details: {settings['details']}; "
        f"analytics: {settings.get('analytics', 'none')} (seed {settings['seed']})",
        f"- writer: {settings['writer']}",
        "- 404s are pages past a list's end, the answers they are; repeats: the share of a run's requests for a URL "
        "it had already asked for (what an answer cache can hit); O's CPU includes the writes' when the writer is on",
        "",
        "| scenario | variant | writer | req/s median (min–max) | p50 ms | p99 ms | 404s | repeats | CPU ms/req "
        "| vs F | writes/s (errors, p99 ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in tail["results"].items():
        for variant, states in result["variants"].items():
            for state, row in states.items():
                errors = f" ⚠ {row['errors']} errors" if row["errors"] else ""
                ratio = result["rps_ratios"].get(f"{variant}/F {state}", "")
                writer = row.get("writer")
                writes = f"{writer['per_second']} ({writer['errors']}, {writer['p99_ms']})" if writer else ""
                share_404 = f"{row['not_found']:,} ({row['not_found'] / max(1, row['requests']):.0%})"
                lines.append(
                    f"| {name} ({result['distinct_urls']:,} of {result['urls']:,} distinct) "
                    f"| {VARIANT_LABELS.get(variant, variant)} | {state.removeprefix('writer_')} "
                    f"| {row['rps_median']:.1f} ({row['rps_min']:.1f}–{row['rps_max']:.1f}){errors} "
                    f"| {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {share_404} | {row['repeats']:.0%} "
                    f"| {row['cpu_ms_per_request']:.2f} | {ratio} | {writes} |"
                )
    return lines


if __name__ == "__main__":
    sys.exit(main())
