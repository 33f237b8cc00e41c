"""Prometheus metrics, scraped over HTTP from their own port and read with prometheus-client's
parser, around real requests to a real server on the scratch database."""

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.config import Settings
from app.db.reads import asyncpg_dsn
from app.jobs.mail import new_mail
from app.jobs.queue import SEND_MAIL, enqueue_mail
from app.main import create_app
from app.observability.metrics import RequestMetrics
from app.observability.wiring import Observability
from app.spec import load_spec
from contracts_tests.live_server import free_port
from tests.observability.conftest import served

Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(port: int) -> Samples:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@asynccontextmanager
async def metered(**settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    port = free_port()
    app = create_app(Settings(metrics_port=port, **settings))
    async with served(app) as client:
        yield client, port


async def test_requests_are_counted_and_timed_by_operation(database_url: str) -> None:
    async with metered(database_url=database_url) as (client, port):
        before = await scrape(port)
        for _ in range(2):
            assert (await client.get("/api/v1/posts")).status_code == 200
        assert (await client.get(f"/api/v1/posts/{uuid.uuid4()}")).status_code == 404
        assert (await client.get("/no/such/path/" + "x" * 50)).status_code == 404
        assert (await client.delete("/api/v1/health/live")).status_code == 405
        after = await scrape(port)

    requests = "inkwell_http_requests_total"
    assert moved(before, after, requests, operation="listPosts", status_class="2xx") == 2
    assert moved(before, after, requests, operation="getPost", status_class="4xx") == 1
    # A path nobody declared, or a method a path does not take: one fixed label.
    assert moved(before, after, requests, operation="unmatched", status_class="4xx") == 2
    durations = "inkwell_http_request_duration_seconds_count"
    assert moved(before, after, durations, operation="listPosts") == 2
    assert not any("no/such/path" in str(labels) for _, labels in after)


async def test_pools_are_reported_when_scraped(database_url: str) -> None:
    async with metered(
        database_url=database_url, database_pool_size=3, database_read_pool_size=2
    ) as (client, port):
        assert (await client.get("/api/v1/posts")).status_code == 200
        samples = await scrape(port)

    assert value(samples, "inkwell_db_pool_size", pool="session") == 3
    assert value(samples, "inkwell_db_pool_size", pool="primary") == 2
    for pool in ("session", "primary"):
        assert value(samples, "inkwell_db_pool_waiting", pool=pool) == 0
    # The read that was answered returned its connection.
    assert value(samples, "inkwell_db_pool_in_use", pool="primary") == 0


async def test_rate_limit_refusals_are_counted(database_url: str) -> None:
    form = {"username": "nobody@example.com", "password": "not the password"}
    try:
        async with metered(database_url=database_url, login_attempts_per_address=1) as (
            client,
            port,
        ):
            before = await scrape(port)
            assert (await client.post("/api/v1/auth/token", data=form)).status_code == 401
            assert (await client.post("/api/v1/auth/token", data=form)).status_code == 429
            after = await scrape(port)
    finally:
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await connection.execute("DELETE FROM rate_limit_counters")
        finally:
            await connection.close()

    assert moved(before, after, "inkwell_http_rate_limited_total", operation="issueToken") == 1
    requests = "inkwell_http_requests_total"
    assert moved(before, after, requests, operation="issueToken", status_class="4xx") == 2


async def test_database_faults_are_counted() -> None:
    """A database nobody listens on: the read is answered 503, and counted."""
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    async with metered(database_url=nowhere, database_connect_timeout=1) as (client, port):
        before = await scrape(port)
        assert (await client.get("/api/v1/posts")).status_code == 503
        after = await scrape(port)

    assert moved(before, after, "inkwell_database_errors_total", operation="listPosts") == 1
    requests = "inkwell_http_requests_total"
    assert moved(before, after, requests, operation="listPosts", status_class="5xx") == 1


async def test_job_queue_depth_is_counted_when_scraped(database_url: str) -> None:
    mail = new_mail("reader@example.com", "Metrics", "A job waiting in the queue.")
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with metered(database_url=database_url) as (_, port):
            before = await scrape(port)
            await enqueue_mail(connection, mail)  # committed: no worker runs in this test
            after = await scrape(port)
    finally:
        await connection.execute(
            "DELETE FROM pgqueuer.pgqueuer WHERE dedupe_key = $1", mail.message_id
        )
        await connection.close()

    assert moved(before, after, "inkwell_jobs", entrypoint=SEND_MAIL, status="queued") == 1


def test_no_metrics_port_no_request_metrics() -> None:
    observability = Observability(Settings(), load_spec())
    assert observability.metrics is None
    assert not any(isinstance(each, RequestMetrics) for each in observability.observers())


@pytest.mark.parametrize(
    ("name", "expected"), [("list_posts", "listPosts"), ("get_liveness", "getLiveness")]
)
def test_handlers_are_labelled_by_their_operation_id(name: str, expected: str) -> None:
    observability = Observability(Settings(metrics_port=free_port()), load_spec())
    assert observability.metrics is not None

    class Route:
        def __init__(self, name: str) -> None:
            self.name = name

    assert observability.metrics.operation(Route(name), 200) == expected
    assert observability.metrics.operation(None, 404) == "unmatched"
