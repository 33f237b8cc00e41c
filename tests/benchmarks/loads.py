"""What one benchmark row sends, for wrk (through requests.lua) and for plain sequential requests.

Both senders build request `n` of a load the same way, so the statements counted on a few
sequential requests belong to the very requests that wrk times.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

# A suffix that makes each created post's title, so its slug, unique: a taken slug costs the
# server a second INSERT, which a real author's new title would rarely pay.
UNIQUE = "%s"

Target = tuple[str, str | None]  # a path and the bearer token to send it with (None: anonymous)


@dataclass(frozen=True)
class Load:
    """Requests rotate through `targets`, so load spreads over many users and posts as real
    traffic does, rather than piling on one rate-limit counter or one locked post row."""

    targets: tuple[Target, ...]
    method: str = "GET"
    body: str | None = None  # JSON; UNIQUE in it becomes "<run id>-<n>" on request n

    def __post_init__(self) -> None:
        # requests.lua fills the body with string.format: no other `%` may appear in it.
        assert self.body is None or self.body.replace(UNIQUE, "").count("%") == 0

    @property
    def is_plain(self) -> bool:
        """One anonymous GET: wrk sends it without a script, as the public read rows always did."""
        return self.method == "GET" and len(self.targets) == 1 and self.targets[0][1] is None

    def request(self, base_url: str, n: int, run_id: str) -> urllib.request.Request:
        """Request `n` of this load, as requests.lua builds it."""
        path, token = self.targets[n % len(self.targets)]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            text = self.body % f"{run_id}-{n}" if UNIQUE in self.body else self.body
            data = text.encode()
        return urllib.request.Request(base_url + path, data, headers, method=self.method)


def send(request: urllib.request.Request) -> tuple[int, bytes]:
    """The status and body of one request; a 4xx or 5xx is an answer, not an exception."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def send_json(request: urllib.request.Request, expected: int = 200) -> object:
    status, body = send(request)
    if status != expected:
        raise RuntimeError(f"{request.get_method()} {request.full_url}: {status} {body[:500]!r}")
    return json.loads(body)
