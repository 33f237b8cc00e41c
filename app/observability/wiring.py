"""What the app factory and its lifespan switch on, from the settings and the OTEL_* variables."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.reads import PoolReader, asyncpg_dsn
from app.db.session import SessionGate
from app.observability import metrics, tracing


class Observability:
    """Metrics when METRICS_PORT is set, traces when the OTEL_* variables ask (or the caller
    hands a tracer provider: tests), neither by default."""

    def __init__(
        self,
        settings: Settings,
        spec: Mapping[str, Any],
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self._settings = settings
        provider = tracer_provider or tracing.provider_from_environment()
        self.tracing = tracing.Tracing(provider) if provider is not None else None
        self.metrics = (
            metrics.RequestMetrics(metrics.operation_ids(spec))
            if settings.metrics_port is not None
            else None
        )

    def telemetry(self) -> TelemetryConfig:
        """FastAPI's built-in OpenTelemetry settings."""
        return self.tracing.telemetry() if self.tracing else tracing.OFF

    def observers(self) -> list[tracing.Tracing | metrics.RequestMetrics]:
        """What the envelope tells of each request."""
        return [observer for observer in (self.tracing, self.metrics) if observer is not None]

    @asynccontextmanager
    async def running(
        self,
        *,
        engine: AsyncEngine,
        gate: SessionGate,
        primary: PoolReader,
        reader: PoolReader,
        database_url: str,
        queries_on: metrics.QueriesOn,
    ) -> AsyncIterator[None]:
        """The metrics endpoint and the pool gauges (`session`: the engine's; `primary`: the
        plain asyncpg pool; `replica`: the public reads' pool when it is another), and the
        database spans, while the app runs."""
        server = None
        refresh: asyncio.Task[None] | None = None
        if self.metrics is not None:
            assert self._settings.metrics_port is not None
            pools = metrics.POOLS.pools
            pools.update(session=metrics.session_pool(engine, gate))
            pools.update(primary=metrics.plain_pool(primary))
            if reader is not primary:
                pools.update(replica=metrics.plain_pool(reader))
            jobs = metrics.JobQueueCollector(asyncpg_dsn(database_url), queries_on)
            server = metrics.MetricsServer(
                self._settings.metrics_host, self._settings.metrics_port, jobs
            )
            server.start()
            if metrics.shared():
                refresh = asyncio.create_task(metrics.SharedPoolGauges(dict(pools)).run())
        if self.tracing is not None:
            self.tracing.instrument()
        try:
            yield
        finally:
            if self.tracing is not None:
                self.tracing.uninstrument()
            if refresh is not None:
                refresh.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresh
            if server is not None:
                server.stop()
                metrics.POOLS.pools.clear()
