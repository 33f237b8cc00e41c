"""A bare HTTP/1.1 keep-alive connection for load runs: one per worker, no pool.

httpx spends milliseconds of CPU per request once a client holds hundreds of connections (it
scans its pool on every request): driving GET /api/v1/health/live over 256 connections here, an
httpx client managed 64-144 requests/s, this one 2,200. With httpx the stress scripts would
measure the client's own queue as the server's latency. It speaks just what the load needs:
JSON bodies, answers with a Content-Length (every answer of this API).
"""

import asyncio
import json as jsonlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Reconnect before reusing a connection idle this long: uvicorn closes idle ones after 5 s, and
# a request sent as it does so fails on the client, not on the server.
IDLE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    headers: dict[str, str]  # names in lower case
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class Connection:
    """Requests one after the other on one socket, as one browser tab or API client would."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._timeout = timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._used = 0.0

    async def request(
        self, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._exchange(method, url, json, headers or {})
        except BaseException:
            self.close()  # the rest of a half-read answer would be taken for the next one
            raise

    async def _exchange(self, method: str, url: str, json: Any, headers: dict[str, str]) -> Answer:
        if self._streams is None or time.monotonic() - self._used > IDLE_SECONDS:
            self.close()
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        body = b"" if json is None else jsonlib.dumps(json).encode()
        head = [f"{method} {url} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        head += [f"Content-Length: {len(body)}"]
        head += ["Content-Type: application/json"] if json is not None else []
        head += [f"{name}: {value}" for name, value in headers.items()]
        writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        status, answer_headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        content = await reader.readexactly(int(answer_headers.get("content-length", "0")))
        self._used = time.monotonic()
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, answer_headers, content)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        raise ValueError("a chunked answer: this client reads only answers with a length")
    return int(status_line.split(" ", 2)[1]), headers
