"""Headers every response carries to keep browsers from misusing it."""

from app.http.responses import RawHeaders, raw_headers

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

_FOR_DOCS = raw_headers(_HEADERS.items())
_FOR_API = raw_headers({**_HEADERS, "Content-Security-Policy": _API_CSP}.items())


def security_headers(path: str) -> RawHeaders:
    """The security headers for a response to `path`, as raw (lowercase) ASGI header pairs."""
    return _FOR_DOCS if path.startswith(_DOCS_PATHS) else _FOR_API
