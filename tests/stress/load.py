"""Signed-in writers and public readers against a live server, and what their answers prove.

Every answer is recorded (status, latency, whether a 503 is a problem that says when to retry),
and every write the server acknowledged is remembered so that `missing_writes` can look for it
in the database afterwards: an acknowledged write that is not there was lost.
"""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import asyncpg
import httpx

from app.db.reads import PoolReader, asyncpg_dsn
from tests import helpers
from tests.helpers import POSTS, PROBLEM, bearer, user_with_tokens
from tests.stress.http1 import Connection

# Longer than two of the server's 30 s pool checkouts (before issue 10 a signed-in write waited
# for two connections): a request stuck behind the pool is seen answering, not cut off here.
CLIENT_TIMEOUT_SECONDS = 90
T = TypeVar("T")
# A request that got no answer: the connection failed, or the client gave up waiting.
NO_ANSWER = (httpx.TransportError, OSError, asyncio.IncompleteReadError, TimeoutError)

# After a failed request a load loop pauses, as a client would, rather than spin on 503s.
BACKOFF_SECONDS = 0.05
SLOW_SECONDS = 5.0


def client(base_url: str, connections: int = 300) -> httpx.AsyncClient:
    # Idle connections are dropped well before uvicorn closes them (after 5 s): reusing one the
    # server is closing at that moment fails the request on the client, not on the server.
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=1
    )
    return httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS, limits=limits)


@asynccontextmanager
async def connections(base_url: str, count: int) -> AsyncIterator[list[Connection]]:
    """One bare connection per worker, for load at hundreds of connections (tests.stress.http1
    says why not httpx there)."""
    opened = [Connection(base_url, CLIENT_TIMEOUT_SECONDS) for _ in range(count)]
    try:
        yield opened
    finally:
        for connection in opened:
            connection.close()


class Answer(Protocol):
    """What the load reads of an answer: an httpx.Response or a tests.stress.http1.Answer."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


class Requester(Protocol):
    """An httpx.AsyncClient (base URL set) or a tests.stress.http1.Connection."""

    async def request(
        self, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    operation: str
    status: int  # 0: no answer (the connection failed or the client timed out)
    started: float  # time.monotonic()
    seconds: float
    problem: bool = False
    retry_after: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def finished(self) -> float:
        return self.started + self.seconds

    @property
    def well_formed_503(self) -> bool:
        """A 503 a client can act on: a problem that says when to retry."""
        return (
            self.status == 503
            and self.problem
            and self.retry_after is not None
            and self.retry_after.isdigit()
        )


def _outcome(operation: str, started: float, response: Answer) -> Outcome:
    status = response.status_code
    return Outcome(
        operation,
        status,
        started,
        time.monotonic() - started,
        response.headers.get("content-type", "").startswith(PROBLEM),
        response.headers.get("retry-after"),
        _detail(response) if status >= 500 else "",
    )


def _detail(response: Answer) -> str:
    """What a 5xx says, with the request id that finds it in the server's log."""
    try:
        problem = response.json()
        return f"{problem['detail']} (request {problem['request_id']})"
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


@dataclass
class Ledger:
    """What was asked, what was answered, and which writes the server acknowledged."""

    outcomes: list[Outcome] = field(default_factory=list)
    posts: set[str] = field(default_factory=set)
    titles: dict[str, str] = field(default_factory=dict)  # post id -> its acknowledged edit
    published: list[str] = field(default_factory=list)
    comments: set[str] = field(default_factory=set)

    async def send(
        self, http: Requester, operation: str, method: str, url: str, **kwargs: Any
    ) -> Answer | None:
        started = time.monotonic()
        try:
            response = await http.request(method, url, **kwargs)
        except NO_ANSWER as error:
            seconds = time.monotonic() - started
            self.outcomes.append(Outcome(operation, 0, started, seconds, detail=repr(error)))
            return None
        self.outcomes.append(_outcome(operation, started, response))
        return response

    def statuses(self) -> Counter[int]:
        return Counter(outcome.status for outcome in self.outcomes)

    def unexplained(self, *, allow_503: bool) -> list[Outcome]:
        """No answer, or a 5xx: only a 503 problem with Retry-After is allowed, and only when
        `allow_503` (the database is away, or its pool cannot serve in time)."""
        return [
            outcome
            for outcome in self.outcomes
            if outcome.status == 0
            or (outcome.status >= 500 and not (allow_503 and outcome.well_formed_503))
        ]

    def report(self, *, allow_503: bool = False) -> str:
        """Answers per operation and status, then one example of each unexplained kind."""
        by_operation: dict[str, Counter[str]] = {}
        for outcome in self.outcomes:
            by_operation.setdefault(outcome.operation, Counter())[_kind(outcome)] += 1
        lines = [
            f"  {operation:<9} " + "  ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()))
            for operation, kinds in sorted(by_operation.items())
        ]
        examples: dict[tuple[str, str], Outcome] = {}
        for outcome in self.unexplained(allow_503=allow_503):
            examples.setdefault((outcome.operation, _kind(outcome)), outcome)
        lines += [
            f"  e.g. {o.operation} {kind} after {o.seconds:.1f}s: {o.detail}"
            for (_, kind), o in examples.items()
        ]
        return "\n".join(lines)


def _kind(outcome: Outcome) -> str:
    """The status, with 503s that do not say when to retry told apart."""
    if outcome.status == 503 and not outcome.well_formed_503:
        return "503 (no problem+Retry-After)"
    return str(outcome.status) if outcome.status else "no answer"


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tokens)


async def sign_up(
    http: httpx.AsyncClient, database_url: str, count: int, *, at_once: int = 8
) -> list[Account]:
    """`count` registered, verified, logged-in users."""
    gate = asyncio.Semaphore(at_once)
    database = PoolReader.connect(database_url, 1)

    async def one() -> Account:
        async with gate:
            user, tokens = await user_with_tokens(http)
        return Account(user["id"], tokens)

    try:
        with helpers.bound(database):
            return await all_of(*(one() for _ in range(count)))
    finally:
        await database.close()


async def write_chain(http: Requester, account: Account, ledger: Ledger) -> bool:
    """One post through its life: create, edit with If-Match, publish, comment on it. Stops at
    the first write that is not acknowledged; True when all four were."""
    title = f"Load {uuid.uuid4().hex[:12]}"
    created = await ledger.send(
        http, "create", "POST", POSTS, json={"title": title, "body": "b"}, headers=account.headers
    )
    if created is None or created.status_code != 201:
        return False
    post_id = created.json()["id"]
    ledger.posts.add(post_id)
    url = f"{POSTS}/{post_id}"
    edit = f"{title} edited"
    headers = {**account.headers, "If-Match": created.headers["etag"]}
    edited = await ledger.send(http, "patch", "PATCH", url, json={"title": edit}, headers=headers)
    if edited is None or edited.status_code != 200:
        return False
    ledger.titles[post_id] = edit
    published = await ledger.send(
        http, "publish", "POST", f"{url}/publish", headers=account.headers
    )
    if published is None or published.status_code != 200:
        return False
    ledger.published.append(post_id)
    comment = await ledger.send(
        http, "comment", "POST", f"{url}/comments", json={"body": "c"}, headers=account.headers
    )
    if comment is None or comment.status_code != 201:
        return False
    ledger.comments.add(comment.json()["id"])
    return True


async def write_chains(http: Requester, account: Account, ledger: Ledger, count: int) -> None:
    for _ in range(count):
        await write_chain(http, account, ledger)


async def read_once(http: Requester, ledger: Ledger, n: int) -> bool:
    """A public read, the `n`th of a reader: the first page of posts, or a published post."""
    if ledger.published and n % 2:
        url = f"{POSTS}/{ledger.published[n // 2 % len(ledger.published)]}"
        response = await ledger.send(http, "get", "GET", url)
    else:
        response = await ledger.send(http, "list", "GET", POSTS)
    return response is not None and response.status_code == 200


async def keep_writing(
    http: Requester, account: Account, ledger: Ledger, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        if not await write_chain(http, account, ledger):
            await asyncio.sleep(BACKOFF_SECONDS)


async def keep_reading(http: Requester, ledger: Ledger, stop: asyncio.Event, first: int) -> None:
    n = first
    while not stop.is_set():
        if not await read_once(http, ledger, n):
            await asyncio.sleep(BACKOFF_SECONDS)
        n += 1


@asynccontextmanager
async def running(
    clients: Sequence[Requester],
    ledger: Ledger,
    accounts: list[Account],
    *,
    writers: int,
    readers: int,
) -> AsyncIterator[None]:
    """Writers and readers at work for the block's duration; on leaving it they start nothing
    new and the requests in flight are awaited. Workers take accounts and clients round robin:
    one shared httpx client, or a connection each."""
    stop = asyncio.Event()
    work = [
        keep_writing(clients[n % len(clients)], accounts[n % len(accounts)], ledger, stop)
        for n in range(writers)
    ]
    work += [
        keep_reading(clients[(writers + n) % len(clients)], ledger, stop, n) for n in range(readers)
    ]
    tasks = [asyncio.create_task(job) for job in work]
    try:
        yield
    finally:
        stop.set()
        await all_of(*tasks)


async def all_of(*awaitables: Awaitable[T]) -> list[T]:
    """Like `asyncio.gather`, but when one fails the others still finish before it is raised:
    none is left running against a client or server that is being closed."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return cast(list[T], results)


async def missing_writes(database_url: str, ledger: Ledger) -> list[str]:
    """Every acknowledged write that the database does not show."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        posts = await connection.fetch(
            "SELECT id::text, title, status FROM posts WHERE id = ANY($1::uuid[])",
            list(ledger.posts),
        )
        comments = await connection.fetch(
            "SELECT id::text FROM comments WHERE id = ANY($1::uuid[])", list(ledger.comments)
        )
    finally:
        await connection.close()
    found = {row["id"]: row for row in posts}
    missing = [f"post {p}" for p in ledger.posts if p not in found]
    missing += [
        f"edit of post {p}"
        for p, title in ledger.titles.items()
        if p in found and found[p]["title"] != title
    ]
    missing += [
        f"publication of post {p}"
        for p in ledger.published
        if p in found and found[p]["status"] != "published"
    ]
    stored = {row["id"] for row in comments}
    return missing + [f"comment {c}" for c in ledger.comments - stored]


def latency_report(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "no requests"
    seconds = sorted(outcome.seconds for outcome in outcomes)
    p99 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))]
    slow = sum(s > SLOW_SECONDS for s in seconds)
    return (
        f"max {seconds[-1]:.3f}s  p99 {p99:.3f}s  "
        f"waited more than {SLOW_SECONDS:.0f}s: {'yes, ' + str(slow) if slow else 'no'}"
    )
