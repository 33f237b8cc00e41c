"""Headers every response carries to keep browsers from misusing it."""

from starlette.datastructures import MutableHeaders
from starlette.types import Receive, Scope, Send

from app.http.asgi import HTTPMiddleware, on_response_start

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
# The API's own JSON never needs scripts; the docs pages load Swagger UI / ReDoc from a CDN.
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
_DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeadersMiddleware(HTTPMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_docs = scope["path"].startswith(_DOCS_PATHS)

        def add_headers(headers: MutableHeaders) -> None:
            for name, value in _HEADERS.items():
                headers.setdefault(name, value)
            if not is_docs:
                headers.setdefault("Content-Security-Policy", _API_CSP)

        await self.app(scope, receive, on_response_start(send, add_headers))
