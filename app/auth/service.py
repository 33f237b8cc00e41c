"""Registration, login, refresh-token rotation with reuse detection, logout."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords, repository, tokens
from app.config import Settings
from app.contract import TokenPair, UserCreate
from app.db.models import RefreshToken, User
from app.db.session import CommitAnyway
from app.errors import Conflict, InvalidField, Unauthorized

INVALID_LOGIN = "The email or password is not correct."
INVALID_REFRESH = "The refresh token is invalid, expired or revoked."


class RefreshTokenReused(Unauthorized, CommitAnyway):
    """A used refresh token came back: its chain is revoked, and that revocation must stick."""


def check_password_rules(password: str, email: str, location: str) -> None:
    if password.casefold() == email.casefold():
        raise InvalidField(location, "The password must not be the email address.")


async def register(session: AsyncSession, body: UserCreate) -> User:
    check_password_rules(body.password, body.email, "body.password")
    if await repository.get_account_by_email(session, body.email):
        raise Conflict("An account with this email already exists.")
    password_hash = await passwords.hash_password(body.password)
    return await repository.add_account(
        session, email=body.email, display_name=body.display_name, password_hash=password_hash
    )


async def login(session: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    user = await repository.get_account_by_email(session, email)
    if user is None:
        await passwords.burn_verification_time(password)
        raise Unauthorized(INVALID_LOGIN)
    if not await passwords.verify_password(password, user.password_hash) or not user.is_active:
        raise Unauthorized(INVALID_LOGIN)
    return await _issue_pair(session, settings, user.id, family_id=uuid.uuid4())


async def refresh(session: AsyncSession, settings: Settings, presented: str) -> TokenPair:
    now = datetime.now(UTC)
    token = await _usable_token(session, presented, now)
    if token.used_at is not None:
        await repository.revoke_family(session, token.family_id, now)
        raise RefreshTokenReused(INVALID_REFRESH)
    user = await repository.get_account(session, token.user_id)
    if user is None or not user.is_active:
        raise Unauthorized(INVALID_REFRESH)
    await repository.mark_used(session, token, now)
    return await _issue_pair(session, settings, token.user_id, family_id=token.family_id)


async def logout(session: AsyncSession, presented: str) -> None:
    token_hash = tokens.hash_refresh_token(presented)
    token = await repository.get_by_hash_for_update(session, token_hash)
    if token is None:
        raise Unauthorized(INVALID_REFRESH)
    await repository.revoke_family(session, token.family_id, datetime.now(UTC))


async def end_sessions(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Revoke every refresh token of the account (password change, deactivation)."""
    await repository.revoke_all_for_user(session, user_id, datetime.now(UTC))


async def find_account(session: AsyncSession, email: str) -> User | None:
    return await repository.get_account_by_email(session, email)


async def _usable_token(session: AsyncSession, presented: str, now: datetime) -> RefreshToken:
    token = await repository.get_by_hash_for_update(session, tokens.hash_refresh_token(presented))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized(INVALID_REFRESH)
    return token


async def _issue_pair(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, *, family_id: uuid.UUID
) -> TokenPair:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    refresh_token, refresh_hash = tokens.new_refresh_token()
    await repository.add(
        session,
        user_id=user_id,
        family_id=family_id,
        token_hash=refresh_hash,
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
    )
    return TokenPair(
        access_token=tokens.create_access_token(user_id, settings.secret_key, lifetime),
        refresh_token=refresh_token,
        token_type="bearer",  # noqa: S106 - the OAuth2 token type, not a secret
        expires_in=int(lifetime.total_seconds()),
    )
