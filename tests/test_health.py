import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from tests.helpers import assert_problem


async def test_liveness_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_answers_ok_when_postgres_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_503_problem_when_postgres_does_not_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    working = app.state.engine
    app.state.engine = create_async_engine(
        "postgresql+asyncpg://postgres@/postgres?host=/nonexistent-socket-dir"
    )
    try:
        response = await client.get("/api/v1/health/ready")
    finally:
        await app.state.engine.dispose()
        app.state.engine = working
    assert assert_problem(response, 503)["detail"] == "The database does not answer."
