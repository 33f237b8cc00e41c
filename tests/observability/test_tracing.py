"""OpenTelemetry traces of real requests to a real server, kept by an in-memory exporter: one
trace per request, its server span carrying the request id, its database statements inside."""

from collections import defaultdict
from collections.abc import Mapping, Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.config import Settings
from app.db.scratch import execute
from app.main import create_app
from app.observability import tracing
from tests.observability.conftest import served


def trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    found: int = span.context.trace_id
    return found


def traces(spans: Sequence[ReadableSpan]) -> dict[int, list[ReadableSpan]]:
    found: defaultdict[int, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        found[trace_id(span)].append(span)
    return found


def is_statement(span: ReadableSpan) -> bool:
    attributes = span.attributes or {}
    return "postgresql" in (attributes.get("db.system"), attributes.get("db.system.name"))


async def test_one_trace_per_request_with_its_database_spans(database_url: str) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(Settings(database_url=database_url), tracer_provider=provider)
    form = {"username": "nobody@example.com", "password": "not the password"}
    try:
        async with served(app) as client:
            # A public read on the plain asyncpg pool; a sign-in: its rate limits on the plain
            # pool, the account's lookup in a session (the SQLAlchemy engine).
            read = await client.get("/api/v1/posts", headers={"X-Request-ID": "trace-read"})
            assert read.status_code == 200
            sign_in = await client.post(
                "/api/v1/auth/token", data=form, headers={"X-Request-ID": "trace-sign-in"}
            )
            assert sign_in.status_code == 401
    finally:
        await _clear_rate_limits(database_url)

    by_trace = traces(exporter.get_finished_spans())
    assert len(by_trace) == 2
    servers: dict[str, ReadableSpan] = {}
    for spans in by_trace.values():
        (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
        assert server.attributes is not None
        servers[str(server.attributes[tracing.REQUEST_ID])] = server
        statements = [span for span in spans if is_statement(span)]
        assert statements, [span.name for span in spans]
        started = server.start_time or 0
        assert all((span.start_time or 0) >= started for span in statements)
    assert servers["trace-read"].name == "GET /api/v1/posts"
    assert servers["trace-sign-in"].name == "POST /api/v1/auth/token"
    # The session's statements (SQLAlchemy on asyncpg) are in the trace, in their transaction.
    texts = [
        str((span.attributes or {}).get("db.statement"))
        for span in by_trace[trace_id(servers["trace-sign-in"])]
    ]
    assert any(text.startswith("SELECT users.") for text in texts), texts
    assert any(text.startswith("BEGIN") for text in texts), texts


async def _clear_rate_limits(database_url: str) -> None:
    await execute(database_url, "DELETE FROM rate_limit_counters")


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"},
            False,
        ),
    ],
)
def test_traces_are_off_unless_the_otel_variables_ask(environ: Mapping[str, str], on: bool) -> None:
    provider = tracing.provider_from_environment(environ)
    assert (provider is not None) is on
    if provider is not None:
        assert provider.resource.attributes["service.name"] == "inkwell"
        provider.shutdown()
