"""`Deprecation` (RFC 9745) and `Sunset` (RFC 8594) headers for operations the spec deprecates.

A deprecated operation states its dates in two extensions, RFC 3339 dates or date-times (a bare
date means midnight UTC), quoted so that YAML keeps them strings (lint: inkwell/quoted-timestamps):

    deprecated: true
    x-deprecated-at: '2026-12-01'        # required: since when (the `Deprecation` header)
    x-sunset: '2027-06-01T00:00:00Z'     # optional: when it may stop answering (`Sunset`)

Every response of that operation, errors included, then carries `Deprecation: @1796083200` and
`Sunset: Tue, 01 Jun 2027 00:00:00 GMT` (added by app.http.envelope). The served spec is read,
so marking an operation in openapi.yaml is all it takes.
"""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from typing import Any

from app.http.responses import RawHeaders, raw_headers
from app.http.spec_paths import path_pattern

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Headers = tuple[tuple[str, str], ...]


def _instant(value: Any, where: str) -> datetime:
    """A date or date-time from the spec; YAML hands over unquoted ones already parsed."""
    moment: Any = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    elif isinstance(value, date) and not isinstance(value, datetime):
        moment = datetime.combine(value, time(), UTC)
    if not isinstance(moment, datetime):
        raise ValueError(f"{where}: {value!r} is not an RFC 3339 date or date-time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _headers(operation: Mapping[str, Any], where: str) -> Headers:
    if "x-deprecated-at" not in operation:
        raise ValueError(f"{where} is deprecated but has no x-deprecated-at date")
    since = _instant(operation["x-deprecated-at"], f"{where} x-deprecated-at")
    headers = [("Deprecation", f"@{int(since.timestamp())}")]
    if "x-sunset" in operation:
        sunset = _instant(operation["x-sunset"], f"{where} x-sunset").astimezone(UTC)
        headers.append(("Sunset", format_datetime(sunset, usegmt=True)))
    return tuple(headers)


def deprecated_paths(spec: Mapping[str, Any]) -> list[tuple[re.Pattern[str], dict[str, Headers]]]:
    """(path pattern, METHOD -> headers) for every path, literal paths first.

    Every path is kept, not only deprecated ones: `/users/me` must shadow `/users/{user_id}`
    as it does in routing. Empty when nothing is deprecated.
    """
    table = []
    for template, item in sorted(
        spec.get("paths", {}).items(), key=lambda entry: (entry[0].count("{"), entry[0])
    ):
        operations = {
            method.upper(): _headers(item[method], f"{method.upper()} {template}")
            for method in METHODS
            if isinstance(item.get(method), Mapping) and item[method].get("deprecated")
        }
        table.append((path_pattern(template), operations))
    return table if any(operations for _, operations in table) else []


class Deprecations:
    """The `Deprecation`/`Sunset` headers of each operation, looked up by method and path."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._paths = [
            (pattern, {method: raw_headers(headers) for method, headers in operations.items()})
            for pattern, operations in deprecated_paths(spec)
        ]

    def headers(self, method: str, path: str) -> RawHeaders:
        for pattern, operations in self._paths:
            if pattern.fullmatch(path):
                # HEAD is answered by the GET route, so it is as deprecated as GET.
                fallback = operations.get("GET", ()) if method == "HEAD" else ()
                return operations.get(method, fallback)
        return ()
