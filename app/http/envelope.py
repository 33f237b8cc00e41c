"""What every HTTP exchange gets, in one ASGI layer: a request id, CORS, the request target and
body size limits, the headers every response carries (security, caching, deprecation, rate
limits), a problem+json 500 for an exception nothing else answered, and one access-log line.

One layer for all of them: each ASGI layer costs tens of microseconds per request here (its
frames, its `send` wrapper, its header edits), and these run on every request; as five layers
they cost a public read about 10 % of its throughput (`nox -s bench`). The rules themselves
live in request_id, cors, uri_limit, body_limit, security_headers, docs_policy, deprecation,
responses and access_log.

Every answer, including a refused preflight, a 413, a 414 and a 500, leaves through the same
`send`, so a browser can read each of them (CORS) and quote its request id.

Observers (app.observability: metrics, traces) are told when a request starts and how it
ended, with the duration the access log measures; with none configured they cost an empty loop.
"""

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.http.access_log import log_request
from app.http.body_limit import declared_length, limited, too_large
from app.http.cors import Cors
from app.http.deprecation import Deprecations
from app.http.docs_policy import DOCS_PAGES, with_docs_policy
from app.http.media_types import MediaTypes
from app.http.problems import problem_response, report_unexpected, unexpected_error
from app.http.request_id import HEADER, assign_request_id
from app.http.responses import extra_headers
from app.http.security_headers import security_headers
from app.http.uri_limit import TOO_LONG, target_too_long

_REQUEST_ID = HEADER.lower().encode()
# What browser apps may send and read cross-origin.
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
)
CORS_EXPOSED = (
    "Location",
    "ETag",
    "Retry-After",
    "X-Request-ID",
    "RateLimit",
    "RateLimit-Policy",
    "Deprecation",
    "Sunset",
)


class Observer(Protocol):
    """Told of every HTTP request; must be cheap and must not raise."""

    def started(self, scope: Scope, request_id: str) -> None: ...

    def finished(self, scope: Scope, status: int, seconds: float) -> None: ...


def _origin(scope: Scope) -> bytes | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    return next((value for name, value in headers if name == b"origin"), None)


class EnvelopeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        spec: Mapping[str, Any],
        observers: Sequence[Observer] = (),
    ) -> None:
        self.app = app
        self._observers = tuple(observers)
        self._max_body = settings.max_body_bytes
        self._cors = Cors(settings.cors_origins, CORS_METHODS, CORS_HEADERS, CORS_EXPOSED)
        self._deprecations = Deprecations(spec)
        self._media_types = MediaTypes(spec)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        assigned = assign_request_id(scope)
        for observer in self._observers:
            observer.started(scope, assigned)
        request_id = assigned.encode()
        preflight = self._cors.preflight(scope)
        added = [
            *self._deprecations.headers(scope["method"], scope["path"]),
            *(() if preflight else self._cors.response_headers(_origin(scope))),
            (_REQUEST_ID, request_id),
        ]
        status = None  # until the response starts

        async def send_enveloped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                # A header the response set itself wins over a default.
                defaults = [h for h in security_headers(scope) if h[0] not in present]
                message["headers"] = [*headers, *defaults, *added, *extra_headers(scope)]
            await send(message)

        try:
            answer = preflight or self._early_answer(scope)
            if answer is not None:
                await answer(scope, receive, send_enveloped)
            else:
                send_app: Send = send_enveloped
                if scope["path"] in DOCS_PAGES:
                    send_app = with_docs_policy(send_enveloped)
                await self.app(scope, limited(receive, self._max_body), send_app)
        except Exception as error:
            if status is not None:  # too late to answer: the server cuts the response short
                report_unexpected(scope)
                raise
            await unexpected_error(scope, error)(scope, receive, send_enveloped)
        finally:
            seconds = time.perf_counter() - started
            log_request(scope, status or 500, seconds)
            for observer in self._observers:
                observer.finished(scope, status or 500, seconds)

    def _early_answer(self, scope: Scope) -> ASGIApp | None:
        """414 for a request target over the bound, before any route sees it; 413 before
        reading a byte of a body declared too large (the connection then closes, as the body
        stays unread); 415 for a body in a media type its operation does not take."""
        if target_too_long(scope):
            return problem_response(Request(scope), 414, TOO_LONG)
        declared = declared_length(scope)
        if declared is not None and declared > self._max_body:
            detail = too_large(self._max_body)
            return problem_response(Request(scope), 413, detail, headers={"Connection": "close"})
        if (refused := self._media_types.refused(scope)) is not None:
            return problem_response(Request(scope), 415, refused)
        return None
