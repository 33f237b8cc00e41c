import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.reads import PoolReader
from tests.helpers import assert_problem

NOWHERE = "postgresql+asyncpg://postgres@/postgres?host=/nonexistent-socket-dir"


async def test_liveness_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_answers_ok_when_postgres_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_503_problem_when_the_sessions_pool_cannot_connect(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    working = app.state.engine
    app.state.engine = create_async_engine(NOWHERE)
    try:
        response = await client.get("/api/v1/health/ready")
    finally:
        await app.state.engine.dispose()
        app.state.engine = working
    problem = assert_problem(response, 503)
    assert problem["detail"] == "The database does not answer: sessions pool failing."
    assert response.headers["retry-after"] == "1"


async def test_readiness_is_503_problem_when_the_read_pool_cannot_connect(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    working = app.state.reader
    app.state.reader = PoolReader.connect(NOWHERE, 1)
    try:
        response = await client.get("/api/v1/health/ready")
    finally:
        app.state.reader = working
    problem = assert_problem(response, 503)
    assert problem["detail"] == "The database does not answer: reads pool failing."
    assert response.headers["retry-after"] == "1"
