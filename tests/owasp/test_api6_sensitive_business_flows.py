"""API6:2023 Unrestricted Access to Sensitive Business Flows.

Flows that hurt when automated, even though each request is allowed. In Inkwell: creating
accounts (bots, and probing which emails have one: a taken email is a 409), signing in
(credential stuffing across accounts from one address), and creating content twice by replay.
Registration and sign-in are budgeted per client address; the address is the socket peer
unless a trusted proxy (`FORWARDED_ALLOW_IPS`) names the client, so a client cannot pick its
own address with `X-Forwarded-For`. A replayed `Idempotency-Key` only replays the first
answer; with another body it is a 422.

Also covered elsewhere:
- tests/test_rate_limits.py::test_registrations_are_limited_per_address and
  ::test_logins_are_limited_per_address_across_accounts (429 with `Retry-After`).
- tests/test_idempotency.py::test_the_same_key_with_another_body_is_422 (posts),
  ::test_a_retried_comment_is_created_once (comments, 422 for another body),
  ::test_keys_are_scoped_to_the_caller.
- tests/test_proxies.py: sign-in address budgets with and without a trusted proxy.
- tests/owasp/test_api2_broken_authentication.py: per-account guessing, lockout, devices.
"""

import time

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from contracts_tests.live_server import live_server
from tests.helpers import PASSWORD, assert_problem, register, unique_email
from tests.owasp.support import early_in_window, wait_for_a_fresh_window

REGISTER = "/api/v1/auth/register"


async def test_probing_which_emails_have_accounts_is_bounded(
    client: httpx.AsyncClient, db: AsyncConnection, limits: Settings
) -> None:
    """Registering a taken email answers exactly as registering a new one (202, the same
    body; the owner is told by mail), and every attempt counts against the client address:
    registration reveals nothing, and probing it runs into the same 429."""
    known = [await register(client) for _ in range(2)]
    # The probing starts now. (During a test the counters live in its transaction.)
    await db.execute(text("DELETE FROM rate_limit_counters"))
    limits.writes_per_minute = 4
    await early_in_window(60)
    probes = [u["email"] for u in known] + [u["email"].upper() for u in known] + [unique_email()]
    answers = [
        await client.post(
            REGISTER, json={"email": email, "password": PASSWORD, "display_name": "Probe"}
        )
        for email in probes
    ]
    assert [answer.status_code for answer in answers] == [202, 202, 202, 202, 429]
    assert len({answer.content for answer in answers[:-1]}) == 1
    limited = assert_problem(answers[-1], 429)
    assert "already" not in limited["detail"]
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60


def test_a_client_cannot_choose_its_address_to_escape_the_registration_budget() -> None:
    """Served as `python -m app` serves without trusted proxies: a bot rotating
    `X-Forwarded-For` on every registration is still one address, and runs out."""
    env = {"WRITES_PER_MINUTE": "3", "FORWARDED_ALLOW_IPS": ""}
    with live_server(extra_env=env) as (base_url, _), httpx.Client(base_url=base_url) as http:
        time.sleep(wait_for_a_fresh_window(60, margin=10))
        statuses = [
            http.post(
                REGISTER,
                json={"email": unique_email("bot"), "password": PASSWORD, "display_name": "Bot"},
                headers={"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"},
            ).status_code
            for n in range(5)
        ]
    assert statuses == [202, 202, 202, 429, 429]
