"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from opentelemetry.trace import TracerProvider

from app.auth.router import router as auth_router
from app.comments.router import router as comments_router
from app.config import DatabasePooler, Settings, get_settings
from app.db.embedded import resolve_database_url
from app.db.reads import PoolReader
from app.db.session import (
    SessionGate,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)
from app.health.router import router as health_router
from app.http import docs_pages, problem_pages
from app.http.access_log import configure_logging
from app.http.envelope import EnvelopeMiddleware
from app.http.problems import install_error_handlers
from app.jobs.queue import queries_on
from app.keys import load_keys
from app.observability import logs
from app.observability.wiring import Observability
from app.posts.router import router as posts_router
from app.spec import load_spec
from app.users.router import router as users_router

# Matched in this order: the most requested first. No path is served by two routers, so the
# order changes nothing else.
ROUTERS = (posts_router, comments_router, users_router, auth_router, health_router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database_url = resolve_database_url(settings)
    pooler = settings.database_pooler is DatabasePooler.transaction
    engine = create_engine(
        database_url,
        settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
        connect_timeout=settings.database_connect_timeout,
        transaction_pooler=pooler,
    )
    app.state.engine = engine
    app.state.session_gate = SessionGate(
        settings.database_pool_size, settings.database_pool_timeout
    )
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_read_sessionmaker(engine)
    plain_pool = partial(
        PoolReader.connect,
        size=settings.database_read_pool_size,
        acquire_timeout=settings.database_pool_timeout,
        connect_timeout=settings.database_connect_timeout,
        transaction_pooler=pooler,
    )
    # Plain asyncpg connections to the primary (app.db.reads): the caller lookup and rate-limit
    # hit every signed-in request makes before its session takes a connection
    # (app.auth.dependencies), creates, and signed-in reads. Anonymous public reads use
    # `reader`: a pool on the replica when DATABASE_READ_URL is set, else the same pool.
    primary = app.state.primary = plain_pool(database_url)
    read_url = settings.database_read_url
    reader = app.state.reader = plain_pool(read_url, standby=True) if read_url else primary
    observability: Observability = app.state.observability
    watching = observability.running(
        engine=engine,
        gate=app.state.session_gate,
        primary=primary,
        reader=reader,
        database_url=database_url,
        queries_on=queries_on,
    )
    try:
        async with watching:
            yield
    finally:
        if reader is not primary:
            await reader.close()
        await primary.close()
        await engine.dispose()


def create_app(
    settings: Settings | None = None, *, tracer_provider: TracerProvider | None = None
) -> FastAPI:
    """The app; `tracer_provider` traces it whatever the OTEL_* variables say (tests)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, logs.log_format(settings))
    spec = load_spec()
    observability = Observability(settings, spec, tracer_provider)
    app = FastAPI(
        title=spec["info"]["title"],
        version=spec["info"]["version"],
        lifespan=_lifespan,
        # The docs pages are app.http.docs_pages: FastAPI's own would load from a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True},
        # FastAPI's built-in OpenTelemetry request spans, through our tracer provider when the
        # OTEL_* variables ask for traces; otherwise off (app.observability.tracing).
        telemetry=observability.telemetry(),
    )
    app.state.settings = settings
    app.state.observability = observability
    app.state.keys = load_keys(settings)

    def reviewed_spec() -> dict[str, Any]:
        return spec

    app.openapi = reviewed_spec  # type: ignore[method-assign]
    for router in ROUTERS:
        # The routes join the app's own table rather than through `include_router`: FastAPI 0.165
        # wraps an included router in a layer that re-checks and re-matches its routes on every
        # request, about 10 % of a public read here. Nothing is set at inclusion (prefix, tags,
        # dependencies), so nothing else changes.
        app.router.routes.extend(router.routes)
    app.router.routes.extend([problem_pages.ROUTE, *docs_pages.ROUTES])
    install_error_handlers(app)
    app.add_middleware(
        EnvelopeMiddleware, settings=settings, spec=spec, observers=observability.observers()
    )
    return app
