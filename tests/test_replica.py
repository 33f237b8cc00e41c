"""Public reads from a streaming replica (DATABASE_READ_URL).

The replica is a real hot standby of the test PostgreSQL (tests/topology.py). Which database
answered is shown by pausing the replica's replay: what the primary commits meanwhile is seen
at once by a signed-in author (every request with a valid token reads from the primary) and
only after replay resumes by an anonymous reader (the replica).
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.reads import PoolReader, asyncpg_dsn
from app.db.scratch import execute
from app.main import create_app
from tests.conftest import served
from tests.helpers import POSTS, assert_problem, bearer, create_post, user_with_tokens
from tests.topology import wait_replayed

NOWHERE = "postgresql+asyncpg://postgres@/postgres?host=/nonexistent-socket-dir"
# On the replica: the tables a read holds while it waits for a lock (held by replay).
_HELD_WHILE_WAITING = """
    SELECT coalesce(array_agg(l.relation::regclass::text ORDER BY 1), '{}')
    FROM pg_locks l JOIN pg_stat_activity a USING (pid)
    WHERE a.wait_event_type = 'Lock' AND l.locktype = 'relation' AND l.granted
"""
_REPLAYED_LOCK = """
    SELECT EXISTS (SELECT FROM pg_locks WHERE relation = $1::regclass
                   AND mode = 'AccessExclusiveLock' AND granted)
"""
_FAIL_POST_INSERTS = """
    CREATE FUNCTION test_serialization_failure() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END $$;
    CREATE TRIGGER test_serialization_failure BEFORE INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION test_serialization_failure();
"""


@pytest.fixture
async def replicated(
    replica_url: str, database_url: str, committed_db: AsyncEngine
) -> AsyncIterator[FastAPI]:
    """The API with DATABASE_READ_URL on the replica; what it writes is committed (a replica
    sees nothing else), and emptied afterwards by `committed_db`."""
    settings = Settings(database_url=database_url, database_read_url=replica_url)
    async with served(create_app(settings)) as application:
        yield application


@pytest.fixture
async def client(replicated: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=replicated.state.base_url) as http:
        yield http


def _ids(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return [item["id"] for item in page.json()["items"]]


async def test_signed_in_reads_see_their_writes_at_once_anonymous_reads_after_replay(
    client: httpx.AsyncClient, replica_url: str, database_url: str
) -> None:
    author, tokens = await user_with_tokens(client)
    older = await create_post(client, tokens, publish=True, title="Before the pause")
    await wait_replayed(database_url, replica_url)
    old_etag = (await client.get(f"{POSTS}/{older['id']}")).headers["etag"]
    replica = await asyncpg.connect(asyncpg_dsn(replica_url))
    try:
        await replica.execute("SELECT pg_wal_replay_pause()")
        # Written on the primary while the replica replays nothing.
        newer = await create_post(client, tokens, publish=True, title="During the pause")
        changed = await client.patch(
            f"{POSTS}/{older['id']}",
            json={"title": "Changed during the pause"},
            headers={**bearer(tokens), "If-Match": old_etag},
        )
        assert changed.status_code == 200, changed.text
        new_etag = changed.headers["etag"]

        # The author (a token): the primary.
        own = await client.get(f"{POSTS}/{newer['id']}", headers=bearer(tokens))
        assert own.status_code == 200
        mine = await client.get(f"/api/v1/users/{author['id']}/posts", headers=bearer(tokens))
        assert newer["id"] in _ids(mine)
        fresh = await client.get(f"{POSTS}/{older['id']}", headers=bearer(tokens))
        assert fresh.headers["etag"] == new_etag
        assert fresh.json()["title"] == "Changed during the pause"

        # An anonymous reader: the replica, as it was when replay paused.
        assert_problem(await client.get(f"{POSTS}/{newer['id']}"), 404)
        assert newer["id"] not in _ids(await client.get(POSTS, params={"limit": 100}))
        stale = await client.get(f"{POSTS}/{older['id']}")
        assert stale.headers["etag"] == old_etag
        assert stale.json()["title"] == "Before the pause"
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await replica.close()

    await wait_replayed(database_url, replica_url)
    assert (await client.get(f"{POSTS}/{newer['id']}")).status_code == 200
    assert newer["id"] in _ids(await client.get(POSTS, params={"limit": 100}))
    caught_up = await client.get(f"{POSTS}/{older['id']}", headers={"If-None-Match": new_etag})
    assert caught_up.status_code == 304


async def test_readiness_checks_the_replica_and_the_primary_pool(
    replicated: FastAPI, client: httpx.AsyncClient
) -> None:
    state = replicated.state
    assert (await client.get("/api/v1/health/ready")).status_code == 200
    for name, pool in (("reads", "reader"), ("primary", "primary")):
        working = getattr(state, pool)
        setattr(state, pool, PoolReader.connect(NOWHERE, 1))
        try:
            response = await client.get("/api/v1/health/ready")
        finally:
            setattr(state, pool, working)
        problem = assert_problem(response, 503)
        assert problem["detail"] == f"The database does not answer: {name} pool failing."


async def _poll(connection: asyncpg.Connection, query: str, *args: object) -> object:
    """`query`'s value once it is truthy (10 s at most)."""
    deadline = time.monotonic() + 10
    while not (value := await connection.fetchval(query, *args)):
        assert time.monotonic() < deadline, f"still nothing from {query}"
        await asyncio.sleep(0.02)
    return value


@pytest.mark.parametrize(
    "delay",
    [
        pytest.param("0", id="cancelled-at-once-40001"),
        # Replay waits for the read, which waits for replay: a deadlock, found after
        # deadlock_timeout (1 s).
        pytest.param("30s", id="deadlock-40P01"),
    ],
)
async def test_a_read_the_replica_cancels_to_replay_is_503(
    client: httpx.AsyncClient, replica_url: str, database_url: str, delay: str
) -> None:
    """A real recovery conflict: the replica cancels an anonymous read that holds a lock
    replay needs ("canceling statement due to conflict with recovery", SQLSTATE 40001, or
    "deadlock detected", 40P01), and the answer is 503 with Retry-After, as for a database
    that is briefly away; not a 409."""
    replica = await asyncpg.connect(asyncpg_dsn(replica_url))
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    locker = await asyncpg.connect(asyncpg_dsn(database_url))
    await replica.execute(f"ALTER SYSTEM SET max_standby_streaming_delay = '{delay}'")
    await replica.execute("SELECT pg_reload_conf()")
    held = holder.transaction()
    await held.start()
    try:
        # Replay takes `users` for a transaction still open on the primary: the read then takes
        # `posts` (its first table) and waits for `users`, holding `posts`.
        await holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        await locker.execute("SELECT pg_current_xact_id()")  # a commit: the WAL is sent
        await _poll(replica, _REPLAYED_LOCK, "users")
        read = asyncio.create_task(client.get(f"{POSTS}/{uuid.uuid4()}", timeout=60))
        assert await _poll(replica, _HELD_WHILE_WAITING) == ["posts"]
        # A lock on `posts` replayed now conflicts with the read: the replica cancels it.
        async with locker.transaction():
            await locker.execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
        response = await read
    finally:
        await held.rollback()
        await replica.execute("ALTER SYSTEM RESET max_standby_streaming_delay")
        await replica.execute("SELECT pg_reload_conf()")
        for connection in (replica, holder, locker):
            await connection.close()
    assert "retry" in assert_problem(response, 503)["detail"]
    assert response.headers["retry-after"] == "1"
    await wait_replayed(database_url, replica_url)
    assert_problem(await client.get(f"{POSTS}/{uuid.uuid4()}"), 404)  # the replica reads again


async def test_the_same_sqlstate_from_the_primary_is_a_409(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """On the primary, 40001 is a conflict between clients: a create that meets one is 409."""
    _, tokens = await user_with_tokens(client)
    await execute(database_url, _FAIL_POST_INSERTS)
    try:
        response = await client.post(
            POSTS, json={"title": "A post", "body": "Some words."}, headers=bearer(tokens)
        )
    finally:
        await execute(database_url, "DROP FUNCTION test_serialization_failure() CASCADE")
    assert "concurrent change" in assert_problem(response, 409)["detail"]
