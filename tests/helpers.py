"""Small steps many tests share: register, log in, make someone an admin."""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.service import account_name
from app.contract import User as ContractUser

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


# Where helpers read and mark accounts: the app under test's plain pool (tests/conftest.py
# binds it; in a test using `db` it is the test's own connection), or a live server's
# database (tests/stress).
_database: Callable[[], Any] | None = None
_ACCOUNT = text(
    "SELECT id, email, display_name, role, is_active, email_verified, notify_on_comment,"
    " created_at FROM users WHERE email = :email"
)
_VERIFY = text("UPDATE users SET email_verified = true WHERE email = :email")


def bind(database: Callable[[], Any]) -> None:
    """`database()` answers the `Reader` (app.db.reads) to use at the moment of the call."""
    global _database
    _database = database


@contextmanager
def bound(database: Any) -> Iterator[None]:
    """Helpers use `database` (a live server's) inside the block, and what they used before
    after it."""
    global _database
    before, _database = _database, lambda: database
    try:
        yield
    finally:
        _database = before


async def register(
    client: httpx.AsyncClient,
    email: str | None = None,
    password: str = PASSWORD,
    *,
    verified: bool = True,
    display_name: str = "Tester",
) -> dict[str, Any]:
    """A new account as the contract's `User`; verified (as if its owner had followed the
    mailed link) unless asked otherwise."""
    email = email or unique_email()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": display_name},
    )
    assert response.status_code == 202, response.text
    assert _database is not None, "tests.helpers.bind() first"
    stored = {"email": account_name(email)}
    if verified:
        await _database().fetch(_VERIFY, stored)
    rows = await _database().fetch(_ACCOUNT, stored)
    return ContractUser.model_validate(rows[0], from_attributes=True).model_dump(mode="json")


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def user_with_tokens(
    client: httpx.AsyncClient, email: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    user = await register(client, email)
    return user, await login(client, user["email"])


async def make_admin(db: AsyncConnection, user_id: str) -> None:
    await db.execute(text("UPDATE users SET role = 'admin' WHERE id = :id"), {"id": user_id})


async def admin_with_tokens(
    client: httpx.AsyncClient, db: AsyncConnection
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A registered user promoted to admin (in the test's transaction), with their tokens."""
    admin, tokens = await user_with_tokens(client)
    await make_admin(db, admin["id"])
    return {**admin, "role": "admin"}, tokens


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["instance"] == response.request.url.path
    return body


POSTS = "/api/v1/posts"


async def create_post(
    client: httpx.AsyncClient, tokens: dict[str, Any], *, publish: bool = False, **fields: Any
) -> dict[str, Any]:
    """A post by the token's owner, a draft unless `publish`; `fields` override the defaults."""
    response = await client.post(
        POSTS, json={"title": "A post", "body": "Some words.", **fields}, headers=bearer(tokens)
    )
    assert response.status_code == 201, response.text
    post: dict[str, Any] = response.json()
    if publish:
        response = await client.post(f"{POSTS}/{post['id']}/publish", headers=bearer(tokens))
        assert response.status_code == 200, response.text
        post = response.json()
    return post


async def current_etag(
    client: httpx.AsyncClient, post_id: str, tokens: dict[str, Any] | None = None
) -> str:
    response = await client.get(f"{POSTS}/{post_id}", headers=bearer(tokens) if tokens else {})
    assert response.status_code == 200, response.text
    return response.headers["etag"]


async def create_comment(
    client: httpx.AsyncClient, tokens: dict[str, Any], post_id: str, body: str = "Nice."
) -> dict[str, Any]:
    response = await client.post(
        f"{POSTS}/{post_id}/comments", json={"body": body}, headers=bearer(tokens)
    )
    assert response.status_code == 201, response.text
    comment: dict[str, Any] = response.json()
    return comment


async def clear_rate_limits(engine: AsyncEngine) -> None:
    """Rate-limit counters are committed outside any test transaction: reset them explicitly."""
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM rate_limit_counters"))


async def mails_to(db: AsyncConnection, address: str, about: str = "") -> list[dict[str, Any]]:
    """The mails queued for `address` whose subject contains `about` (app.jobs.mail.Mail as
    a dict), oldest first: jobs the worker has not taken yet, as the test's transaction sees
    them."""
    rows = await db.execute(
        text("SELECT payload FROM pgqueuer.pgqueuer WHERE entrypoint = 'send_mail' ORDER BY id")
    )
    mails = [json.loads(payload) for (payload,) in rows]
    return [mail for mail in mails if mail["to"] == address and about in mail["subject"]]


def link_token(mail: dict[str, Any]) -> str:
    """The one-time token in a mail's link."""
    found = re.search(r"[?&]token=([A-Za-z0-9_-]+)", mail["text"])
    assert found, mail["text"]
    return found.group(1)
