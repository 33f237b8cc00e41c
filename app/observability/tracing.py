"""OpenTelemetry traces: off unless the standard OTEL_* variables ask for them.

On when OTEL_TRACES_EXPORTER names an exporter (`otlp`, `console`; `none` is off) or, with it
unset, when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names a
collector; OTEL_SDK_DISABLED=true turns them off whatever else is set. The SDK reads the rest
itself: OTEL_SERVICE_NAME (default `inkwell`), OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
OTEL_EXPORTER_OTLP_HEADERS and the like.

What is traced: each HTTP request, by FastAPI 0.165's built-in OpenTelemetry support given our
tracer provider (a server span named `GET /api/v1/posts/{post_id}`, no extra ASGI layer), with
the request id as the `inkwell.request_id` attribute; and each database statement, by the
asyncpg instrumentation: the plain pools' and PgQueuer's, and the session's too (SQLAlchemy
runs on asyncpg), BEGIN and COMMIT included. Not the SQLAlchemy instrumentation: 0.66 declares
SQLAlchemy < 2.1 and refuses 2.1, and it would trace each session statement a second time.

Off, nothing of it runs: FastAPI's hooks are disabled, no instrumentation is installed, and
the envelope has no tracing observer.
"""

import os
from collections.abc import Mapping

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from starlette.types import Scope

REQUEST_ID = "inkwell.request_id"
DEFAULT_SERVICE_NAME = "inkwell"
OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        # Imported only when used: it pulls in protobuf and requests.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # its endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*
    if name == "console":
        return ConsoleSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: this server exports to otlp or console")


def provider_from_environment(environ: Mapping[str, str] = os.environ) -> TracerProvider | None:
    """A tracer provider exporting where the OTEL_* variables say, or None: traces off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    named = environ.get("OTEL_TRACES_EXPORTER")
    if named is None:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        named = "otlp" if endpoint else "none"
    names = [name.strip() for name in named.split(",") if name.strip() not in ("", "none")]
    if not names:
        return None
    attributes = {} if environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: DEFAULT_SERVICE_NAME}
    provider = TracerProvider(resource=Resource.create(attributes))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    return provider


class Tracing:
    """Traces through `provider`: FastAPI's request spans, the database spans, and the request
    id on each request's span (as the envelope's observer)."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self.provider = provider
        self._instrumented = False

    def telemetry(self) -> TelemetryConfig:
        """FastAPI's own OpenTelemetry settings: request spans through our provider only.
        Its per-operation spans (dependency solving, serialization) stay off: they cost more
        than the statements they would sit beside."""
        return {
            "tracer_provider": self.provider,
            "tracing": True,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }

    def started(self, scope: Scope, request_id: str) -> None:
        trace.get_current_span().set_attribute(REQUEST_ID, request_id)

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        pass

    def instrument(self) -> None:
        """Database spans, until `uninstrument` (the instrumentation is process-wide)."""
        AsyncPGInstrumentor().instrument(tracer_provider=self.provider)  # type: ignore[no-untyped-call]
        self._instrumented = True

    def uninstrument(self) -> None:
        if self._instrumented:
            AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
            self._instrumented = False
