from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.helpers import (
    PASSWORD,
    admin_with_tokens,
    assert_problem,
    bearer,
    login,
    register,
    unique_email,
    user_with_tokens,
)

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


async def _refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def test_register_creates_an_unverified_user_who_can_sign_in(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    response = await client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "Ada"}
    )
    assert response.status_code == 202
    assert response.json() == {"detail": "Check your mail to finish signing up."}
    assert "location" not in response.headers
    user = (await client.get("/api/v1/users/me", headers=bearer(await login(client, email)))).json()
    assert (user["email"], user["display_name"], user["role"]) == (email, "Ada", "user")
    assert (user["email_verified"], user["notify_on_comment"]) == (False, True)
    assert "password" not in user
    assert "password_hash" not in user


async def test_register_with_a_taken_email_in_any_case_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email()
    await register(client, email)
    response = await client.post(
        REGISTER,
        json={"email": email.upper(), "password": "another passphrase", "display_name": "Copy"},
    )
    assert response.status_code == 202
    # The owner's password still signs in; the attempt's does not.
    await login(client, email)
    refused = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": "another passphrase"}
    )
    assert_problem(refused, 401)


@pytest.mark.parametrize(
    ("password", "message_part"),
    [("short", "at least 8"), ("x" * 129, "at most 128")],
)
async def test_register_enforces_password_length(
    client: httpx.AsyncClient, password: str, message_part: str
) -> None:
    response = await client.post(
        REGISTER, json={"email": unique_email(), "password": password, "display_name": "A"}
    )
    errors = assert_problem(response, 422)["errors"]
    assert errors[0]["location"] == "body.password"
    assert message_part in errors[0]["message"]


async def test_register_accepts_exact_length_bounds(client: httpx.AsyncClient) -> None:
    for password in ("x" * 8, "y" * 128):
        await register(client, password=password)


async def test_register_rejects_password_equal_to_email(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await client.post(
        REGISTER, json={"email": email, "password": email.upper(), "display_name": "A"}
    )
    assert assert_problem(response, 422)["errors"] == [
        {"location": "body.password", "message": "The password must not be the email address."}
    ]


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "A"}, "body.email"),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": ""}, "body.display_name"),
        (
            {"email": "a@example.com", "password": PASSWORD, "display_name": "A\x00"},
            "body.display_name",
        ),
        ({"email": "a@example.com", "password": PASSWORD}, "body.display_name"),
        (
            {"email": "a@example.com", "password": PASSWORD, "display_name": "A", "role": "admin"},
            "body.role",
        ),
    ],
)
async def test_register_names_the_invalid_field(
    client: httpx.AsyncClient, body: dict[str, str], location: str
) -> None:
    errors = assert_problem(await client.post(REGISTER, json=body), 422)["errors"]
    assert [error["location"] for error in errors] == [location]


async def test_register_accepts_special_use_domains(client: httpx.AsyncClient) -> None:
    await register(client, f"{unique_email()}.test")


async def test_token_issues_a_bearer_pair(client: httpx.AsyncClient) -> None:
    user = await register(client)
    response = await client.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": user["email"].upper(),
            "password": PASSWORD,
            "scope": "",
            "client_id": "swagger",
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 15 * 60
    me = await client.get("/api/v1/users/me", headers=bearer(tokens))
    assert me.json()["id"] == user["id"]


async def test_token_answers_unknown_email_and_wrong_password_alike(
    client: httpx.AsyncClient,
) -> None:
    user = await register(client)
    wrong = await client.post(TOKEN, data={"username": user["email"], "password": "nope-nope"})
    unknown = await client.post(TOKEN, data={"username": unique_email(), "password": PASSWORD})
    wrong_body, unknown_body = assert_problem(wrong, 401), assert_problem(unknown, 401)
    assert wrong_body["detail"] == unknown_body["detail"]
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


async def test_token_requires_its_form_fields(client: httpx.AsyncClient) -> None:
    errors = assert_problem(await client.post(TOKEN, data={"username": "x"}), 422)["errors"]
    assert [error["location"] for error in errors] == ["body.password"]


async def test_token_rejects_other_grant_types(client: httpx.AsyncClient) -> None:
    response = await client.post(
        TOKEN, data={"grant_type": "client_credentials", "username": "a", "password": "b"}
    )
    assert assert_problem(response, 422)["errors"][0]["location"] == "body.grant_type"


async def test_token_takes_an_empty_grant_type_as_omitted(client: httpx.AsyncClient) -> None:
    """RFC 6749 section 3.1: a parameter sent without a value is treated as omitted."""
    user = await register(client)
    form = {"grant_type": "", "username": user["email"], "password": PASSWORD}
    response = await client.post(TOKEN, data=form)
    assert response.status_code == 200


async def test_refresh_rotates_the_token(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    response = await _refresh(client, tokens["refresh_token"])
    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert (await client.get("/api/v1/users/me", headers=bearer(rotated))).status_code == 200
    assert (await _refresh(client, rotated["refresh_token"])).status_code == 200


async def test_refresh_reuse_revokes_the_whole_chain(client: httpx.AsyncClient) -> None:
    user, first = await user_with_tokens(client)
    other_login = await login(client, user["email"])
    second = (await _refresh(client, first["refresh_token"])).json()

    assert_problem(await _refresh(client, first["refresh_token"]), 401)

    assert_problem(await _refresh(client, second["refresh_token"]), 401)
    # Another login of the same user is a different chain and keeps working.
    assert (await _refresh(client, other_login["refresh_token"])).status_code == 200


async def test_refresh_rejects_unknown_and_expired_tokens(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    assert_problem(await _refresh(client, "not-a-token"), 401)
    _, tokens = await user_with_tokens(client)
    await db.execute(
        text("UPDATE refresh_tokens SET expires_at = :past"),
        {"past": datetime.now(UTC) - timedelta(seconds=1)},
    )
    assert_problem(await _refresh(client, tokens["refresh_token"]), 401)


async def test_refresh_refuses_deactivated_users(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    user, tokens = await user_with_tokens(client)
    await db.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user["id"]})
    assert_problem(await _refresh(client, tokens["refresh_token"]), 401)
    login_attempt = await client.post(TOKEN, data={"username": user["email"], "password": PASSWORD})
    assert_problem(login_attempt, 401)


async def test_refresh_validates_its_body(client: httpx.AsyncClient) -> None:
    errors = assert_problem(await client.post(REFRESH, json={}), 422)["errors"]
    assert errors[0]["location"] == "body.refresh_token"


async def test_logout_revokes_the_chain(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    rotated = (await _refresh(client, tokens["refresh_token"])).json()
    response = await client.post(LOGOUT, json={"refresh_token": rotated["refresh_token"]})
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await _refresh(client, rotated["refresh_token"]), 401)
    again = await client.post(LOGOUT, json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 204


async def test_logout_rejects_unknown_tokens_and_bad_bodies(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post(LOGOUT, json={"refresh_token": "unknown"}), 401)
    assert_problem(await client.post(LOGOUT, json={"refresh_token": 5}), 422)


async def test_emails_are_stored_case_folded_and_sign_in_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    mixed = f"Ada.{unique_email()}".replace("@example.com", "@Example.COM")
    user = await register(client, mixed)
    assert user["email"] == mixed.casefold()
    assert (
        await client.post(TOKEN, data={"username": mixed.upper(), "password": PASSWORD})
    ).status_code == 200


async def test_an_email_that_case_folding_lengthens_past_its_bound_is_refused_cleanly(
    client: httpx.AsyncClient,
) -> None:
    """`"İ".lower()` is two characters: 240 of them fit the contract's 254 but not the column
    once folded. Registration says so (422); login with it is an unknown account (401), and
    its rate-limit bucket cannot overflow either: never a 500."""
    email = "İ" * 240 + "@x.test"
    response = await client.post(
        REGISTER, json={"email": email, "password": PASSWORD, "display_name": "Long"}
    )
    assert assert_problem(response, 422)["errors"][0]["location"] == "body.email"
    assert_problem(await client.post(TOKEN, data={"username": email, "password": PASSWORD}), 401)


async def test_an_email_whose_domain_is_unicode_space_is_stored_as_sent(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    """Found by Schemathesis: `àþê@\\x85` fits the contract's pattern; stripped, it became
    `àþê@`, which no `User` answer could carry (listUsers answered 500)."""
    _, admin_tokens = await admin_with_tokens(client, db)
    user = await register(client, "àþê@\x85")
    assert user["email"] == "àþê@\x85"
    listed = await client.get("/api/v1/users", params={"limit": 100}, headers=bearer(admin_tokens))
    assert listed.status_code == 200
