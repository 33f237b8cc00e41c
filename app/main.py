"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.auth.router import router as auth_router
from app.comments.router import router as comments_router
from app.config import Settings, get_settings
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
from app.keys import load_keys
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
    engine = create_engine(
        database_url,
        settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
        connect_timeout=settings.database_connect_timeout,
    )
    app.state.engine = engine
    app.state.session_gate = SessionGate(
        settings.database_pool_size, settings.database_pool_timeout
    )
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_read_sessionmaker(engine)
    # Plain asyncpg connections to the primary (app.db.reads): the caller lookup and rate-limit
    # hit every signed-in request makes before its session takes a connection
    # (app.auth.dependencies), and creates. Public reads use `reader`: the same pool.
    app.state.primary = app.state.reader = PoolReader.connect(
        database_url,
        settings.database_read_pool_size,
        acquire_timeout=settings.database_pool_timeout,
        connect_timeout=settings.database_connect_timeout,
    )
    try:
        yield
    finally:
        await app.state.reader.close()
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    spec = load_spec()
    app = FastAPI(
        title=spec["info"]["title"],
        version=spec["info"]["version"],
        lifespan=_lifespan,
        # The docs pages are app.http.docs_pages: FastAPI's own would load from a CDN.
        docs_url=None,
        redoc_url=None,
        swagger_ui_parameters={"persistAuthorization": True},
        # FastAPI's built-in OpenTelemetry hooks look up the global providers on every request;
        # requests are logged and traced by id here (app.http.access_log, request_id).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
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
    app.add_middleware(EnvelopeMiddleware, settings=settings, spec=spec)
    return app
