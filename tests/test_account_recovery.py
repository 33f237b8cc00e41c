"""Password reset, email verification and the mails they send (issue 12), on the request path.

Mails are read from the job queue in the test's transaction (tests.helpers.mails_to); the
worker that sends them has its own tests (tests/jobs)."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from tests.helpers import (
    PASSWORD,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_post,
    link_token,
    login,
    mails_to,
    register,
    unique_email,
    user_with_tokens,
)

REGISTER = "/api/v1/auth/register"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY = "/api/v1/auth/verify-email"
ME = "/api/v1/users/me"
INVALID_TOKEN = "/problems/invalid-token"
NOT_VERIFIED = "/problems/email-not-verified"
NEW_PASSWORD = "a brand new passphrase"
RESET_MAIL, VERIFICATION_MAIL = "Reset", "Confirm"


async def test_registration_mails_a_link_that_verifies_the_email_once(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user = await register(client, verified=False)
    assert user["email_verified"] is False
    (mail,) = await mails_to(db, user["email"], VERIFICATION_MAIL)
    assert "/verify-email?token=" in mail["text"]
    assert (await client.post(VERIFY, json={"token": link_token(mail)})).status_code == 204
    tokens = await login(client, user["email"])
    assert (await client.get(ME, headers=bearer(tokens))).json()["email_verified"] is True
    again = await client.post(VERIFY, json={"token": link_token(mail)})
    assert assert_problem(again, 400)["type"] == INVALID_TOKEN


async def test_registering_a_taken_address_answers_the_same_and_tells_its_owner(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    owner = await register(client)
    fresh = {"email": unique_email(), "password": PASSWORD, "display_name": "Someone"}
    first = await client.post(REGISTER, json=fresh)
    taken = {**fresh, "email": owner["email"].upper()}
    second = await client.post(REGISTER, json=taken)
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    assert second.status_code == 202
    (notice,) = await mails_to(db, owner["email"], "already have")
    assert "already has one" in notice["text"]
    accounts = await db.scalar(
        text("SELECT count(*) FROM users WHERE lower(email) = :e"), {"e": owner["email"]}
    )
    assert accounts == 1


async def test_an_unverified_account_writes_drafts_but_neither_publishes_nor_comments(
    client: httpx.AsyncClient,
) -> None:
    author, author_tokens = await user_with_tokens(client)
    published = await create_post(client, author_tokens, publish=True)
    user = await register(client, verified=False)
    tokens = await login(client, user["email"])
    draft = await create_post(client, tokens)
    refused = await client.post(f"/api/v1/posts/{draft['id']}/publish", headers=bearer(tokens))
    assert assert_problem(refused, 403)["type"] == NOT_VERIFIED
    comment = await client.post(
        f"/api/v1/posts/{published['id']}/comments", json={"body": "hi"}, headers=bearer(tokens)
    )
    assert assert_problem(comment, 403)["type"] == NOT_VERIFIED
    assert author["email_verified"] is True


async def test_a_reset_link_sets_the_password_and_ends_every_session(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user, tokens = await user_with_tokens(client)
    assert (await client.post(RESET, json={"email": user["email"]})).status_code == 202
    (mail,) = await mails_to(db, user["email"], RESET_MAIL)
    assert "/reset-password?token=" in mail["text"]
    token = link_token(mail)
    confirmed = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204
    assert_problem(await client.get(ME, headers=bearer(tokens)), 401)
    refresh = {"refresh_token": tokens["refresh_token"]}
    assert_problem(await client.post("/api/v1/auth/refresh", json=refresh), 401)
    await login(client, user["email"], NEW_PASSWORD)
    reused = await client.post(CONFIRM, json={"token": token, "new_password": PASSWORD + "!"})
    assert assert_problem(reused, 400)["type"] == INVALID_TOKEN


async def test_a_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user = await register(client)
    known = await client.post(RESET, json={"email": user["email"]})
    nobody = unique_email("nobody")
    unknown = await client.post(RESET, json={"email": nobody})
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert await mails_to(db, nobody) == []


async def test_an_expired_reset_link_is_refused(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user = await register(client)
    await client.post(RESET, json={"email": user["email"]})
    (mail,) = await mails_to(db, user["email"], RESET_MAIL)
    await db.execute(
        text("UPDATE account_tokens SET expires_at = :t"),
        {"t": datetime.now(UTC) - timedelta(seconds=1)},
    )
    refused = await client.post(
        CONFIRM, json={"token": link_token(mail), "new_password": NEW_PASSWORD}
    )
    assert assert_problem(refused, 400)["type"] == INVALID_TOKEN
    await login(client, user["email"])  # the old password still works


async def test_links_are_single_purpose(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    user = await register(client, verified=False)
    (verification,) = await mails_to(db, user["email"], VERIFICATION_MAIL)
    refused = await client.post(
        CONFIRM, json={"token": link_token(verification), "new_password": NEW_PASSWORD}
    )
    assert assert_problem(refused, 400)["type"] == INVALID_TOKEN


async def test_a_refused_new_password_leaves_the_link_usable(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    """The request rolls back whole: the token it marked used is unused again."""
    user = await register(client)
    await client.post(RESET, json={"email": user["email"]})
    token = link_token((await mails_to(db, user["email"], RESET_MAIL))[0])
    same_as_email = await client.post(CONFIRM, json={"token": token, "new_password": user["email"]})
    assert_problem(same_as_email, 422)
    ok = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


async def test_guessing_link_tokens_is_refused_then_limited(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    statuses = []
    for n in range(limits.login_attempts_per_address + 1):
        guess = {"token": f"guess{n}", "new_password": NEW_PASSWORD}
        statuses.append((await client.post(CONFIRM, json=guess)).status_code)
    assert set(statuses[:-1]) == {400}
    assert statuses[-1] == 429


async def test_mails_about_one_address_are_limited_whether_or_not_it_has_an_account(
    client: httpx.AsyncClient, limits: Settings
) -> None:
    limits.account_mails_per_hour = 3
    user = await register(client)  # its verification mail was the first of its 3
    for email, left in ((user["email"], 2), (unique_email("nobody"), 3)):
        answers = [(await client.post(RESET, json={"email": email})).status_code for _ in range(4)]
        assert answers == [202] * left + [429] * (4 - left)


async def test_resending_verification(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    user = await register(client, verified=False)
    tokens = await login(client, user["email"])
    resent = await client.post(f"{ME}/verification", headers=bearer(tokens))
    assert resent.status_code == 202
    first, second = await mails_to(db, user["email"], VERIFICATION_MAIL)
    assert link_token(first) != link_token(second)
    assert (await client.post(VERIFY, json={"token": link_token(second)})).status_code == 204
    assert_problem(await client.post(f"{ME}/verification", headers=bearer(tokens)), 409)


async def test_an_admin_sends_a_reset_link(client: httpx.AsyncClient, db: AsyncConnection) -> None:
    _, admin_tokens = await admin_with_tokens(client, db)
    user, user_tokens = await user_with_tokens(client)
    url = f"/api/v1/users/{user['id']}/password-reset"
    assert_problem(await client.post(url, headers=bearer(user_tokens)), 403)
    assert (await client.post(url, headers=bearer(admin_tokens))).status_code == 202
    (mail,) = await mails_to(db, user["email"], RESET_MAIL)
    assert "/reset-password?token=" in mail["text"]
    # Nothing changes until the link is used.
    assert (await client.get(ME, headers=bearer(user_tokens))).status_code == 200
    missing = "/api/v1/users/00000000-0000-4000-8000-000000000000/password-reset"
    assert_problem(await client.post(missing, headers=bearer(admin_tokens)), 404)


@pytest.mark.parametrize("opted_out", [False, True])
async def test_a_comment_mails_the_post_author_unless_they_opted_out(
    client: httpx.AsyncClient, db: AsyncConnection, opted_out: bool
) -> None:
    author, author_tokens = await user_with_tokens(client)
    if opted_out:
        changed = await client.patch(
            ME, json={"notify_on_comment": False}, headers=bearer(author_tokens)
        )
        assert changed.json()["notify_on_comment"] is False
    post = await create_post(client, author_tokens, publish=True)
    _, reader_tokens = await user_with_tokens(client)
    comments = f"/api/v1/posts/{post['id']}/comments"
    for tokens in (reader_tokens, author_tokens):  # the author's own comment mails nobody
        sent = await client.post(comments, json={"body": "Nice post"}, headers=bearer(tokens))
        assert sent.status_code == 201
    mails = await mails_to(db, author["email"], "New comment")
    assert len(mails) == (0 if opted_out else 1)
    if mails:
        assert "Nice post" in mails[0]["text"]
        assert f"/posts/{post['id']}" in mails[0]["text"]
