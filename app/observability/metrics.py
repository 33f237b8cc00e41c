"""Prometheus metrics (`prometheus-client`), served on a listener of their own.

Off unless METRICS_PORT is set: then the envelope tells `RequestMetrics` of every request and
the lifespan starts `MetricsServer` on METRICS_HOST (loopback by default), never on the API's
port. What is measured:

- `inkwell_http_requests_total{operation, status_class}` and
  `inkwell_http_request_duration_seconds{operation}`: per operationId of the spec (the matched
  route's handler, named after it); requests that match no route share `operation="unmatched"`,
  so no path a client invents becomes a label.
- `inkwell_http_rate_limited_total{operation}`: the 429s (only the rate limits answer 429).
- `inkwell_database_errors_total{operation}`: the 503s, the answer to every database fault
  (away, restarting, refusing clients, or no pooled connection in time; app.db.faults), but
  readiness's (it also answers 503 while the instance drains).
- `inkwell_db_pool_in_use{pool}`, `inkwell_db_pool_waiting{pool}`, `inkwell_db_pool_size{pool}`:
  the session pool and the plain asyncpg pools (primary, replica), read when scraped.
- `inkwell_jobs{entrypoint, status}`: PgQueuer's queue by status (`queued`, `picked`, and
  `failed`: jobs that exhausted their retries), counted when scraped on a connection of the
  scrape's own, so neither the event loop nor a request's pool budget pays for it.

Per request, the cost is a dict lookup and two metric updates. Several worker processes
(`--workers N`): set PROMETHEUS_MULTIPROC_DIR to an empty directory (prometheus-client's
multiprocess mode); whichever worker holds the port serves every worker's counts, and the pool
gauges are each worker's usage of a few seconds ago, summed (`SharedPoolGauges`).
"""

import asyncio
import errno
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

import asyncpg
from pgqueuer import Queries
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Scope

from app.db.reads import PoolReader
from app.db.session import SessionGate

logger = logging.getLogger("app.observability")

UNMATCHED = "unmatched"
# Readiness answers 503 for a database fault, and also while the instance drains on SIGTERM
# (app.lifecycle): not counted as a database error.
NOT_DATABASE_ERRORS = frozenset({"getReadiness"})
# From a cached page (~1 ms) to the pool timeout's 503 (2 s) and beyond.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "inkwell_http_requests",
    "HTTP requests answered, by operationId and status class.",
    ("operation", "status_class"),
)
DURATION = Histogram(
    "inkwell_http_request_duration_seconds",
    "Time from a request's arrival to its answer's end, by operationId.",
    ("operation",),
    buckets=BUCKETS,
)
RATE_LIMITED = Counter(
    "inkwell_http_rate_limited",
    "Requests refused by a rate limit (429), by operationId.",
    ("operation",),
)
DATABASE_ERRORS = Counter(
    "inkwell_database_errors",
    "Requests answered 503 because the database was away or no pooled connection came free.",
    ("operation",),
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class RequestMetrics:
    """The envelope's observer: counts and times each request under its operationId."""

    def __init__(self, operation_ids: Collection[str]) -> None:
        self._operation_ids = frozenset(operation_ids)
        # (endpoint, status) -> the metric children to update.
        self._children: dict[tuple[int, int], tuple[Counter, Histogram, Counter | None]] = {}

    def started(self, scope: Scope, request_id: str) -> None:
        pass

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        # The matched route's endpoint: FastAPI's router records the route itself only for
        # its own APIRoutes, every route records its endpoint. Endpoints live as long as the
        # app; the keys are bounded by its routes and the statuses they answer.
        key = (id(scope.get("endpoint")), status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = self._resolve(_route(scope), status)
        requests, duration, refusals = children
        requests.inc()
        duration.observe(seconds)
        if refusals is not None:
            refusals.inc()

    def operation(self, route: object, status: int) -> str:
        """The spec's operationId of the route (its handler's name in camelCase); a route
        outside the spec (docs, problem pages) by its name; no route, or a path matched for
        another method (405), `unmatched`."""
        name = getattr(route, "name", None)
        if not isinstance(name, str) or status == 405:
            return UNMATCHED
        operation_id = getattr(route, "operation_id", None) or _camel(name)
        return operation_id if operation_id in self._operation_ids else name

    def _resolve(self, route: object, status: int) -> tuple[Counter, Histogram, Counter | None]:
        operation = self.operation(route, status)
        refusals = (
            RATE_LIMITED.labels(operation)
            if status == 429
            else DATABASE_ERRORS.labels(operation)
            if status == 503 and operation not in NOT_DATABASE_ERRORS
            else None
        )
        return (
            REQUESTS.labels(operation, f"{status // 100}xx"),
            DURATION.labels(operation),
            refusals,
        )


def _route(scope: Scope) -> object:
    """The app's route whose endpoint served the request (a lookup on first sight only)."""
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return None
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", ())
    for route in routes:
        if getattr(route, "endpoint", None) is endpoint or getattr(route, "app", None) is endpoint:
            return route
    return None


def operation_ids(spec: Mapping[str, Any]) -> set[str]:
    """Every operationId in an OpenAPI document."""
    paths: Mapping[str, Mapping[str, Any]] = spec.get("paths", {})
    return {
        operation["operationId"]
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


@dataclass(frozen=True, slots=True)
class PoolUsage:
    in_use: int
    waiting: int
    size: int


PoolProbe = Callable[[], PoolUsage]


class PoolCollector(Collector):
    """The watched pools' usage, read when scraped (no work per request)."""

    def __init__(self) -> None:
        self.pools: dict[str, PoolProbe] = {}

    def collect(self) -> Iterator[Metric]:
        in_use = GaugeMetricFamily(
            "inkwell_db_pool_in_use", "Connections lent out (or being opened).", labels=["pool"]
        )
        waiting = GaugeMetricFamily(
            "inkwell_db_pool_waiting", "Requests waiting for a connection.", labels=["pool"]
        )
        size = GaugeMetricFamily("inkwell_db_pool_size", "The pool's bound.", labels=["pool"])
        for name, probe in list(self.pools.items()):
            usage = probe()
            in_use.add_metric([name], usage.in_use)
            waiting.add_metric([name], usage.waiting)
            size.add_metric([name], usage.size)
        yield from (in_use, waiting, size)


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def shared() -> bool:
    """prometheus-client's multiprocess mode (several workers): PROMETHEUS_MULTIPROC_DIR."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class SharedPoolGauges:
    """The pool gauges in multiprocess mode, where a scrape cannot call into other processes:
    each worker writes its pools' usage every few seconds into the shared files, summed over
    the live workers (a worker that stops cleanly removes its own; one that crashed is counted
    until PROMETHEUS_MULTIPROC_DIR is emptied at the next start)."""

    INTERVAL_SECONDS = 5.0

    def __init__(self, pools: Mapping[str, PoolProbe]) -> None:
        self._pools = pools
        # Not in the process's registry: the files are what the serving worker reads.
        self._gauges = tuple(
            Gauge(name, help_text, ("pool",), registry=None, multiprocess_mode="livesum")
            for name, help_text in (
                ("inkwell_db_pool_in_use", "Connections lent out (or being opened)."),
                ("inkwell_db_pool_waiting", "Requests waiting for a connection."),
                ("inkwell_db_pool_size", "The pool's bound."),
            )
        )

    async def run(self) -> None:
        in_use, waiting, size = self._gauges
        try:
            while True:
                for name, probe in self._pools.items():
                    usage = probe()
                    in_use.labels(name).set(usage.in_use)
                    waiting.labels(name).set(usage.waiting)
                    size.labels(name).set(usage.size)
                await asyncio.sleep(self.INTERVAL_SECONDS)
        finally:
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def session_pool(engine: AsyncEngine, gate: SessionGate) -> PoolProbe:
    """The engine's pool; waiting is the queue at its gate (app.db.session.SessionGate)."""
    pool = engine.pool

    def probe() -> PoolUsage:
        size = getattr(pool, "size", lambda: 0)()
        checked_out = getattr(pool, "checkedout", lambda: 0)()
        return PoolUsage(checked_out, _semaphore_waiting(gate), size)

    return probe


def plain_pool(reader: PoolReader) -> PoolProbe:
    """The plain asyncpg pool behind a PoolReader (app.db.read_pool.ConnectionPool)."""

    def probe() -> PoolUsage:
        # Private state, read only: the pool exposes no statistics of its own yet.
        pool = reader._pool
        waiting = sum(not waiter.done() for waiter in list(pool._waiters))
        return PoolUsage(pool._opened - len(pool._idle), waiting, pool._size)

    return probe


def _semaphore_waiting(gate: SessionGate) -> int:
    waiters = getattr(gate._slots, "_waiters", None) or ()
    return sum(not waiter.done() for waiter in list(waiters))


# PgQueuer's statements on a driver, naming our schema's objects (app.jobs.queue.queries_on).
QueriesOn = Callable[[AsyncpgDriver], Queries]


class JobQueueCollector(Collector):
    """PgQueuer's queue by entrypoint and status, counted when scraped, in the scrape's own
    thread on a connection of its own (closed again): no pool budget, no event loop."""

    def __init__(self, dsn: str, queries_on: QueriesOn, timeout: float = 5.0) -> None:
        self._dsn = dsn
        self._queries_on = queries_on
        self._timeout = timeout

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "inkwell_jobs",
            "Jobs in the queue by entrypoint and status (failed: retries exhausted).",
            labels=["entrypoint", "status"],
        )
        try:
            counts = asyncio.run(self._count())
        except Exception:  # a scrape must not fail because the database is away
            logger.warning("could not count the job queue", exc_info=True)
            return
        for entrypoint, status, count in counts:
            jobs.add_metric([entrypoint, status], count)
        yield jobs

    async def _count(self) -> list[tuple[str, str, int]]:
        async with asyncio.timeout(self._timeout):
            # No statement cache: PgBouncer in transaction mode may sit in front.
            connection = await asyncpg.connect(self._dsn, statement_cache_size=0)
            try:
                # PgQueuer counts by entrypoint, priority and status: summed over priorities.
                totals: dict[tuple[str, str], int] = {}
                for row in await self._queries_on(AsyncpgDriver(connection)).queue_size():
                    key = (row.entrypoint, str(row.status))
                    totals[key] = totals.get(key, 0) + row.count
                return [(*key, count) for key, count in sorted(totals.items())]
            finally:
                await connection.close()


class MetricsServer:
    """The exposition endpoint (any path answers) on its own port, in a thread of its own."""

    def __init__(self, host: str, port: int, jobs: JobQueueCollector | None = None) -> None:
        self._host, self._port, self._jobs = host, port, jobs
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        registry = CollectorRegistry()
        if shared():
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(_Everything())
        if self._jobs is not None:
            registry.register(self._jobs)
        try:
            self._server, self._thread = start_http_server(
                self._port, addr=self._host, registry=registry
            )
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            # Shared: another worker serves every worker's counts (and a worker that replaces
            # it takes the port over). Otherwise the API still serves, without metrics.
            if not shared():
                logger.error(
                    "METRICS_PORT %d is taken: no metrics from this process (with several "
                    "workers, set PROMETHEUS_MULTIPROC_DIR)",
                    self._port,
                )
            return
        logger.info("metrics on http://%s:%d/metrics", self._host, self._port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None


class _Everything(Collector):
    """The process's default registry inside the server's own, which adds the job queue: that
    collector is never registered globally, so two apps in one process (tests) serve their own
    database's queue."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
