"""What every HTTP exchange gets: a request id, the headers every response carries, and one
access-log line.

One ASGI layer for all of them: each pure-ASGI layer costs tens of microseconds per request
here (its frames, its `send` wrapper, its header edits), and these run on every request. The
rules themselves live in request_id, security_headers, responses and access_log.
"""

import time

from starlette.types import Message, Receive, Scope, Send

from app.http.access_log import log_request
from app.http.asgi import HTTPMiddleware
from app.http.request_id import HEADER, assign_request_id
from app.http.responses import extra_headers
from app.http.security_headers import security_headers

_REQUEST_ID = HEADER.lower().encode()


class EnvelopeMiddleware(HTTPMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = assign_request_id(scope).encode()
        status = 500  # if the app fails before answering, the server answers 500

        async def send_enveloped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                # A header the response set itself wins over a default.
                defaults = [h for h in security_headers(scope["path"]) if h[0] not in present]
                message["headers"] = [
                    *headers,
                    *defaults,
                    *extra_headers(scope),
                    (_REQUEST_ID, request_id),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_enveloped)
        finally:
            log_request(scope, status, started)
