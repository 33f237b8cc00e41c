"""The production server (contracts_tests.live_server: uvicorn, `create_app()`, its lifespan and
pools) set up to measure capacity rather than rate limits."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from contracts_tests.live_server import live_server

# Every client of a load run is 127.0.0.1 and a few accounts write many times a minute: with
# the default limits the run would measure 429s. The limiter still counts every request.
CAPACITY_LIMITS = {
    "WRITES_PER_MINUTE": "1000000",
    "LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
    "LOGIN_ATTEMPTS_PER_ACCOUNT": "1000",
}


@contextmanager
def capacity_server(
    database_server_url: str | None = None, *, workers: int = 1, **settings: str
) -> Iterator[tuple[str, str]]:
    """Yield (base URL, database URL) of a live server on a fresh database.

    The database is made on `database_server_url` (else on `DATABASE_URL`, else an embedded
    PostgreSQL); `settings` are more environment variables, such as DATABASE_POOL_SIZE.
    """
    env = {
        **CAPACITY_LIMITS,
        # Quiet: a load that fails logs a traceback per request; the load's report says enough.
        "LOG_LEVEL": os.environ.get("INKWELL_SERVER_LOG_LEVEL", "CRITICAL"),
        **settings,
    }
    server = {"DATABASE_URL": database_server_url} if database_server_url else {}
    with mock.patch.dict(os.environ, server), live_server(workers=workers, extra_env=env) as urls:
        yield urls
