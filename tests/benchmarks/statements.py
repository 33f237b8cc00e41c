"""Statements per request, as counted by PostgreSQL's pg_stat_statements.

The count covers every statement the server's connections ran in the benchmark's database,
BEGIN and COMMIT included (`pg_stat_statements.track_utility` is on by default); a statement
that fails is not counted (the extension records statements as they finish). It is taken on
requests sent one at a time, apart from the timed wrk rounds, so nothing else runs meanwhile.
"""

import asyncio
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import asyncpg

from app.db.embedded import start_embedded, stop_embedded
from app.db.reads import asyncpg_dsn
from app.db.scratch import execute
from tests.benchmarks.loads import Load, send

WARM_UP = 10  # the first requests on a connection prepare statements and introspect types
PROBES = int(os.environ.get("INKWELL_BENCH_PROBES", "50"))
# Both for the benchmark's database only; the counter's own statements all name the extension,
# the server's never do.
_RESET = """
    SELECT pg_stat_statements_reset(
        0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0
    )
"""
_CALLS = """
    SELECT query, calls, total_exec_time FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query NOT LIKE '%pg_stat_statements%'
"""


class Unavailable(Exception):
    """The database server does not load pg_stat_statements."""


@contextmanager
def counting_server() -> Iterator[None]:
    """Point DATABASE_URL (where live_server makes its scratch database) at an embedded
    PostgreSQL that preloads pg_stat_statements. A DATABASE_URL that is already set is used
    as it is: that server must preload the extension itself, or the counts are unavailable."""
    if os.environ.get("DATABASE_URL"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="inkwell-bench-pg-") as folder:
        pgdata = Path(folder) / "data"
        # The wheel starts PostgreSQL with no way to pass settings: start it once to write the
        # setting, then again so that the library loads.
        preload = "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
        asyncio.run(execute(start_embedded(pgdata), preload))
        stop_embedded(pgdata)
        os.environ["DATABASE_URL"] = start_embedded(pgdata, delete_on_exit=True)
        try:
            yield
        finally:
            del os.environ["DATABASE_URL"]
            stop_embedded(pgdata)


class Statement(NamedTuple):
    query: str  # normalized: constants are $n
    calls: int
    total_ms: float  # time spent executing it (not planning it, nor the round trip)


class StatementCounter:
    """Reads what the clients of one database ran, over a connection to that database."""

    def __init__(self, database_url: str) -> None:
        # One loop for the connection's whole life: the probes around it are synchronous.
        self._runner = asyncio.Runner()
        self._connection = self._runner.run(asyncpg.connect(asyncpg_dsn(database_url)))
        try:
            self._run("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            self.reset()
        except asyncpg.PostgresError as error:
            self.close()
            raise Unavailable(str(error)) from error

    def _run(self, statement: str) -> None:
        self._runner.run(self._connection.execute(statement))

    def reset(self) -> None:
        self._run(_RESET)

    def statements(self) -> list[Statement]:
        """What ran since the last reset, the most executed first."""
        rows = self._runner.run(self._connection.fetch(_CALLS))
        return sorted((Statement(*row) for row in rows), key=lambda s: -s.calls)

    def close(self) -> None:
        self._runner.run(self._connection.close())
        self._runner.close()


@dataclass
class Probe:
    """What PROBES sequential requests of one load answered and ran, per request."""

    statuses: Counter[int] = field(default_factory=Counter)
    latency_ms: float = 0.0  # as the client saw it, one request at a time
    per_request: float | None = None  # statements; None: no counter
    database_ms: float | None = None  # spent executing them
    breakdown: dict[str, float] = field(default_factory=dict)  # statements, by query


def probe(counter: StatementCounter | None, base_url: str, load: Load, run_id: str) -> Probe:
    """Send WARM_UP, then PROBES requests one at a time, counting the latter's statements."""
    result = Probe()
    for n in range(WARM_UP):
        send(load.request(base_url, n, run_id))
    if counter:
        counter.reset()
    started = time.perf_counter()
    for n in range(WARM_UP, WARM_UP + PROBES):
        result.statuses[send(load.request(base_url, n, run_id))[0]] += 1
    result.latency_ms = (time.perf_counter() - started) * 1000 / PROBES
    if counter:
        time.sleep(0.5)  # what a request runs after its response (returning a connection)
        ran = counter.statements()
        result.per_request = sum(s.calls for s in ran) / PROBES
        result.database_ms = sum(s.total_ms for s in ran) / PROBES
        result.breakdown = {s.query: s.calls / PROBES for s in ran}
    return result
