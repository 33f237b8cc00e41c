"""The Content-Security-Policy of the interactive docs pages (app.http.docs_pages: Swagger UI
at /docs, its OAuth2 redirect page, ReDoc at /redoc): what those pages load and nothing more.

Their scripts, stylesheet and favicon come from this server (/docs/assets). ReDoc injects its
styles at run time (styled-components, hence 'unsafe-inline' for styles only) and runs its
search in a web worker made from a blob: URL; Swagger UI's stylesheet draws icons from data:
URIs; both fetch /openapi.json and Swagger UI calls the API, all on this origin. Swagger UI's
online-validator badge (validator.swagger.io) stays blocked: it would send the spec's address
to a third party.

The pages' inline scripts (Swagger UI's set-up, the redirect page's) are allowed by their
sha256 hash, not by 'unsafe-inline', so an injected script cannot run. The hash is computed
from the page as served, so it always matches what this FastAPI version renders (and a
root path it embeds); the pages are small and rarely requested, so holding one back to hash
it costs nothing that matters.
"""

import base64
import hashlib
import re

from starlette.types import Message, Send

DOCS_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_HEADER = b"content-security-policy"
# An inline script: a <script> element without a src attribute.
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL)
_POLICY = (
    "default-src 'none'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src blob:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def script_hashes(html: bytes) -> list[str]:
    """CSP hash sources of the page's inline scripts ('sha256-...')."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: bytes) -> bytes:
    scripts = " ".join(["script-src", "'self'", *script_hashes(html)])
    return "; ".join([*_POLICY, scripts]).encode()


def with_docs_policy(send: Send) -> Send:
    """`send` for a docs page: holds the response start back until the body is complete, then
    sends it with the page's policy (the header set by a route itself wins, as elsewhere)."""
    start: Message | None = None
    body = bytearray()

    async def send_with_policy(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        headers = list(start.get("headers", ()))
        if all(name.lower() != _HEADER for name, _ in headers):
            headers.append((_HEADER, docs_policy(bytes(body))))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(body)})
        start = None

    return send_with_policy
