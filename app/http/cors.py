"""Cross-origin access (CORS) for the browser apps named in `CORS_ORIGINS`.

The rules only; app.http.envelope applies them. They are Starlette's CORSMiddleware rules for
a list of origins without credentials, except that a refused preflight is a problem+json 400.
Computed once per request as headers to append, instead of a layer that wraps every response
(see app.http.envelope for why layers are avoided).
"""

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.http.problems import problem_response
from app.http.responses import RawHeaders

# Request headers a browser may send cross-origin without asking (the Fetch standard).
SAFELISTED = ("Accept", "Accept-Language", "Content-Language", "Content-Type")
MAX_AGE = 600  # seconds a browser may reuse a preflight answer
_VARY = (b"vary", b"Origin")


class Cors:
    def __init__(
        self,
        origins: Sequence[str],
        methods: Sequence[str],
        headers: Sequence[str],
        expose: Sequence[str],
    ) -> None:
        self._origins = frozenset(origins)
        self._methods = frozenset(methods)
        allowed = sorted({*SAFELISTED, *headers})
        self._headers = frozenset(name.lower() for name in allowed)
        self._preflight = {
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ", ".join(allowed),
            "Access-Control-Max-Age": str(MAX_AGE),
            "Vary": "Origin",
        }
        self._expose = (b"access-control-expose-headers", ", ".join(expose).encode())

    def response_headers(self, origin: bytes | None) -> RawHeaders:
        """What an actual (not preflight) response carries for a request from `origin`."""
        if origin is not None and origin.decode("latin-1") in self._origins:
            return (self._expose, (b"access-control-allow-origin", origin), _VARY)
        return (_VARY,)

    def preflight(self, scope: Scope) -> Response | None:
        """The answer to a browser's preflight request; None when the request is not one."""
        if scope["method"] != "OPTIONS":
            return None
        asked = Headers(scope=scope)
        origin, method = asked.get("origin"), asked.get("access-control-request-method")
        if origin is None or method is None:
            return None
        refused = []
        if origin not in self._origins:
            refused.append("origin")
        if method not in self._methods:
            refused.append("method")
        wanted = [
            name.strip().lower()
            for name in asked.get("access-control-request-headers", "").split(",")
        ]
        if any(name and name not in self._headers for name in wanted):
            refused.append("headers")
        if refused:
            detail = f"Not allowed cross-origin: {', '.join(refused)}."
            return problem_response(Request(scope), 400, detail, headers=self._preflight)
        headers = {**self._preflight, "Access-Control-Allow-Origin": origin}
        return Response(status_code=204, headers=headers)
