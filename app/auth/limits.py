"""The rate-limit policies of accounts and writes, and the dependencies that apply them.

Guessing passwords is bounded per account, and the bound cannot be turned against the account's
owner (OWASP's device cookies): every operation that verifies a password draws on one
per-account budget, except a sign-in that presents a valid device token for the account (one
this device received at an earlier sign-in), which draws on that device's own budget. An
attacker without the user's device can spend the account's budget, never the device's.
Every sign-in attempt also counts against its client address.
"""

import hashlib

from fastapi import Depends, Request

from app.config import Settings, SettingsDep
from app.http import rate_limit
from app.http.rate_limit import Policy

TOO_MANY_GUESSES = "Too many password attempts."


def writes_policy(settings: Settings) -> Policy:
    """Per client: the user when signed in (app.auth.dependencies.CurrentWriter), otherwise
    the client address."""
    return Policy("writes", settings.writes_per_minute, 60)


async def limit_anonymous_writes(request: Request, settings: SettingsDep) -> None:
    """For public writes (registration): the credentials, if any, are not looked at."""
    subject = f"addr:{rate_limit.client_address(request)}"
    await rate_limit.enforce(request, writes_policy(settings), subject, "Too many writes.")


AnonymousWriteLimit = Depends(limit_anonymous_writes)


def _guesses(settings: Settings, name: str) -> Policy:
    return Policy(name, settings.login_attempts_per_account, settings.login_window_seconds)


def _digest(account: str) -> str:
    """A fixed-length bucket key for any account name, however long case folding made it."""
    return hashlib.sha256(account.encode()).hexdigest()[:32]


async def limit_password_guess(
    request: Request, settings: Settings, account: str, device_id: str | None = None
) -> None:
    """Count one password check against the device's budget (a valid device token) or the
    account's (everything else, password changes included)."""
    if device_id is not None:
        policy, subject = _guesses(settings, "guesses-device"), device_id
    else:
        policy, subject = _guesses(settings, "guesses-account"), _digest(account)
    await rate_limit.enforce(request, policy, subject, TOO_MANY_GUESSES)


async def limit_login(
    request: Request, settings: Settings, account: str, device_id: str | None
) -> None:
    """Per client address (spraying many accounts) and per account or device (guessing one)."""
    window = settings.login_window_seconds
    by_address = Policy("login-address", settings.login_attempts_per_address, window)
    address = rate_limit.client_address(request)
    await rate_limit.enforce(request, by_address, address, "Too many login attempts.")
    await limit_password_guess(request, settings, account, device_id)


async def limit_account_mails(request: Request, settings: Settings, account: str) -> None:
    """Mails about one address per hour (registration, reset, verification), counted whether
    or not the address has an account, so the answer says nothing about that."""
    policy = Policy("account-mails", settings.account_mails_per_hour, 3600)
    await rate_limit.enforce(request, policy, _digest(account), "Too many mails to this address.")


async def limit_by_address(request: Request, settings: Settings, name: str, message: str) -> None:
    """The sign-in budget of the client address, for another kind of attempt (`name`):
    reset requests, and guesses at mailed links' tokens."""
    policy = Policy(name, settings.login_attempts_per_address, settings.login_window_seconds)
    await rate_limit.enforce(request, policy, rate_limit.client_address(request), message)
