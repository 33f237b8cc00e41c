"""The rate-limit policies of accounts and writes, and the dependencies that apply them."""

from fastapi import Depends, Request

from app.config import Settings, SettingsDep
from app.http import rate_limit
from app.http.rate_limit import Policy


def writes_policy(settings: Settings) -> Policy:
    """Per client: the user when signed in (app.auth.dependencies.CurrentWriter), otherwise
    the client address."""
    return Policy("writes", settings.writes_per_minute, 60)


async def limit_anonymous_writes(request: Request, settings: SettingsDep) -> None:
    """For public writes (registration): the credentials, if any, are not looked at."""
    subject = f"addr:{rate_limit.client_address(request)}"
    await rate_limit.enforce(request, writes_policy(settings), subject, "Too many writes.")


AnonymousWriteLimit = Depends(limit_anonymous_writes)


async def limit_login(request: Request, settings: SettingsDep, email: str) -> None:
    """Per client address and per account, so neither spraying nor guessing scales."""
    window = settings.login_window_seconds
    by_address = Policy("login-address", settings.login_attempts_per_address, window)
    by_account = Policy("login-account", settings.login_attempts_per_account, window)
    message = "Too many login attempts."
    await rate_limit.enforce(request, by_address, rate_limit.client_address(request), message)
    await rate_limit.enforce(request, by_account, email.strip().lower(), message)
