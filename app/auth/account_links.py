"""One-time links mailed to an account's owner: email verification and password reset.

A link carries a random token (256 bits); only its SHA-256 is stored, so a copy of the database
verifies nothing and resets no password. Redeeming is one statement that marks the token used
only if it is unused, unexpired and of the right purpose: a token works once, even when two
requests race with it.
"""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository


class Purpose(StrEnum):
    password_reset = "password_reset"  # noqa: S105 - a purpose, not a secret
    email_verification = "email_verification"


LIFETIMES = {
    Purpose.password_reset: timedelta(minutes=30),
    Purpose.email_verification: timedelta(hours=24),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(session: AsyncSession, user_id: uuid.UUID, purpose: Purpose) -> str:
    """A new token for the account, stored hashed in the request's transaction."""
    token = secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + LIFETIMES[purpose]
    await repository.add_account_token(session, user_id, purpose, _digest(token), expires_at)
    return token


async def redeem(session: AsyncSession, purpose: Purpose, token: str) -> uuid.UUID | None:
    """The account the token was issued to, marking it used; None for an unknown, expired,
    used or other-purpose token."""
    return await repository.redeem_account_token(
        session, purpose, _digest(token), datetime.now(UTC)
    )
