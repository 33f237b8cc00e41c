"""415 for a body sent as a media type its operation does not take, naming the one to send.

Read from the served spec's `requestBody.content`, so the answer follows the contract: JSON for
every operation but the token endpoint, which takes an OAuth2 form. Without this, FastAPI hands
a JSON body to the form parser (the answer said `body.username: Field required`) and a text
body to the JSON model (`Input should be a valid dictionary`), neither of which says what to
send. Checked before the route, for requests that carry a body; JSON bodies, nearly every
request's, cost one pattern match (against the operations that refuse JSON).
"""

import re
from collections.abc import Mapping
from typing import Any

from starlette.types import Scope

from app.http.spec_paths import path_pattern

JSON = "application/json"
_WITH_BODIES = frozenset({"POST", "PUT", "PATCH"})


def media_type(content_type: str | None) -> str | None:
    """`application/json` for `application/json; charset=utf-8`, lower-cased; None if absent."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _is_json(media: str) -> bool:
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


class MediaTypes:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._operations: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = []
        for template, path in spec["paths"].items():
            for method, operation in path.items():
                content = (
                    operation.get("requestBody", {}).get("content")
                    if isinstance(operation, dict)
                    else None
                )
                if content:
                    accepted = tuple(content)
                    self._operations.append((method.upper(), path_pattern(template), accepted))
        self._refusing_json = [op for op in self._operations if JSON not in op[2]]

    def refused(self, scope: Scope) -> str | None:
        """The detail of a 415 for this request's body, or None when its type is taken (or
        it has no body: the operation then says what is missing)."""
        if scope["method"] not in _WITH_BODIES:
            return None
        length, chunked, content_type = None, False, None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        if not chunked and length in (None, b"0"):
            return None
        return self._refused(scope, media_type(content_type))

    def _refused(self, scope: Scope, media: str | None) -> str | None:
        candidates = self._refusing_json if media and _is_json(media) else self._operations
        method, path = scope["method"], scope["path"]
        for op_method, pattern, accepted in candidates:
            if op_method == method and pattern.fullmatch(path):
                if media in accepted or (media and _is_json(media) and JSON in accepted):
                    return None
                sent = f"`{media}`" if media else "no Content-Type"
                return f"This operation takes {' or '.join(accepted)}; the body was sent as {sent}."
        return None
