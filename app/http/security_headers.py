"""Headers every response carries to keep browsers, and caches, from misusing it."""

from starlette.types import Scope

from app.http.docs_policy import DOCS_PAGES
from app.http.responses import RawHeaders, raw_headers

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
# The API's own JSON never needs scripts. The docs pages get theirs from app.http.docs_policy.
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# An answer to a request carrying credentials is the caller's alone: no cache, shared or the
# browser's, may keep it (even a signed-in read of a public list: what it holds may depend
# on who asks).
_NO_STORE = (b"cache-control", b"no-store")

_FOR_DOCS = raw_headers(_HEADERS.items())
_FOR_API = raw_headers({**_HEADERS, "Content-Security-Policy": _API_CSP}.items())
# By (docs page?, credentials?): the lists are built once, not per response.
_TABLE = {
    (True, False): _FOR_DOCS,
    (True, True): [*_FOR_DOCS, _NO_STORE],
    (False, False): _FOR_API,
    (False, True): [*_FOR_API, _NO_STORE],
}


def security_headers(scope: Scope) -> RawHeaders:
    """The security headers for the response to the request `scope`, as raw (lowercase) ASGI
    header pairs. The envelope adds each one the response did not set itself."""
    personal = any(name == b"authorization" for name, _ in scope["headers"])
    return _TABLE[scope["path"] in DOCS_PAGES, personal]
