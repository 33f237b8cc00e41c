"""Refuse request targets (path and query) over a bound with 414 URI Too Long.

uvicorn's httptools parser accepts a URL of any length, and every route, log line and error
answer would carry it. 8 KiB is what RFC 9110 (section 4.1) asks servers to support at least,
and nginx's default header line buffer: a longer target is not one any client of this API
builds. The rule; app.http.envelope applies it before the app sees the request.
"""

from starlette.types import Scope

MAX_REQUEST_TARGET = 8192  # bytes of path and query, as sent (percent-encoded)
TOO_LONG = f"The request target (path and query) exceeds {MAX_REQUEST_TARGET} bytes."


def target_too_long(scope: Scope) -> bool:
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode(errors="surrogatepass")
    # Some servers (httpx's ASGI transport) leave the query in raw_path: count it once.
    raw_path = raw_path.partition(b"?")[0]
    query: bytes = scope.get("query_string", b"")
    return len(raw_path) + len(query) + (1 if query else 0) > MAX_REQUEST_TARGET
