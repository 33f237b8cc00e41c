"""Registration, login, refresh-token rotation with reuse detection, logout, ending sessions."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords, repository, tokens
from app.config import Settings
from app.contract import TokenPair, UserCreate
from app.db.models import RefreshToken, User
from app.db.session import CommitAnyway
from app.errors import InvalidField, Unauthorized
from app.keys import Keys

INVALID_LOGIN = "The email or password is not correct."
INVALID_REFRESH = "The refresh token is invalid, expired or revoked."
MAX_EMAIL_LENGTH = 254  # the column's, and the contract's


class RefreshTokenReused(Unauthorized, CommitAnyway):
    """A used refresh token came back: its chain is revoked, and that revocation must stick."""


def account_name(email: str) -> str:
    """The one form of an email that registration stores and login, rate limits and device
    tokens compare: case-folded. Case folding can lengthen text (`İ` becomes two characters),
    so the result is bounded where it is stored (`register`) and hashed where it is a key.
    Not stripped: the contract's pattern already refuses ASCII spaces, and stripping Unicode
    ones (`\x85`) could leave an address the contract refuses (`a@\x85` would become `a@`)."""
    return email.casefold()


def check_password_rules(password: str, email: str, location: str) -> None:
    if password.casefold() == email.casefold():
        raise InvalidField(location, "The password must not be the email address.")


async def register(session: AsyncSession, body: UserCreate) -> User | None:
    """The new account, or None when the address has one already: the caller answers both the
    same (the owner is told by mail), and this takes as long either way (a password hash)."""
    check_password_rules(body.password, body.email, "body.password")
    email = account_name(body.email)
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidField("body.email", f"At most {MAX_EMAIL_LENGTH} characters once lowercased.")
    if await repository.get_account_by_email(session, email):
        await passwords.burn_verification_time(body.password)
        return None
    password_hash = await passwords.hash_password(body.password)
    return await repository.add_account(  # None too if a racing registration won
        session, email=email, display_name=body.display_name, password_hash=password_hash
    )


def recognised_device(keys: Keys, account: str, device_token: str | None) -> str | None:
    """The id of the device a device token names, if it was issued to this account."""
    return tokens.device_of(device_token, keys.devices, account)


async def login(
    session: AsyncSession,
    settings: Settings,
    keys: Keys,
    account: str,
    password: str,
    device_id: str | None,
) -> TokenPair:
    """A token pair for the account, and a device token: the recognised device's (as it was
    presented), else a new one (app.auth.limits gives each device its own guessing budget)."""
    user = await repository.get_account_by_email(session, account)
    if user is None:
        await passwords.burn_verification_time(password)
        raise Unauthorized(INVALID_LOGIN)
    if not await passwords.verify_password(password, user.password_hash) or not user.is_active:
        raise Unauthorized(INVALID_LOGIN)
    pair = await _issue_pair(session, settings, keys, user, family_id=uuid.uuid4())
    pair.device_token = tokens.device_token(keys.devices, account, device_id)
    return pair


async def refresh(
    session: AsyncSession, settings: Settings, keys: Keys, presented: str
) -> TokenPair:
    now = datetime.now(UTC)
    token = await _usable_token(session, presented, now)
    if token.used_at is not None:
        await repository.revoke_family(session, token.family_id, now)
        raise RefreshTokenReused(INVALID_REFRESH)
    user = await repository.get_account(session, token.user_id)
    if user is None or not user.is_active:
        raise Unauthorized(INVALID_REFRESH)
    await repository.mark_used(session, token, now)
    return await _issue_pair(session, settings, keys, user, family_id=token.family_id)


async def logout(session: AsyncSession, presented: str) -> None:
    """Revoke the sign-in: its refresh tokens, and (app.auth.repository) its access tokens."""
    token_hash = tokens.hash_refresh_token(presented)
    token = await repository.get_by_hash_for_update(session, token_hash)
    if token is None:
        raise Unauthorized(INVALID_REFRESH)
    await repository.revoke_family(session, token.family_id, datetime.now(UTC))


async def end_sessions(session: AsyncSession, user_id: uuid.UUID) -> None:
    """End every sign-in of the account (password change, deactivation): refresh tokens are
    revoked and access tokens refused from the next request."""
    await repository.end_all_sessions(session, user_id, datetime.now(UTC))


async def find_account(session: AsyncSession, email: str) -> User | None:
    return await repository.get_account_by_email(session, account_name(email))


async def _usable_token(session: AsyncSession, presented: str, now: datetime) -> RefreshToken:
    token = await repository.get_by_hash_for_update(session, tokens.hash_refresh_token(presented))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized(INVALID_REFRESH)
    return token


async def _issue_pair(
    session: AsyncSession, settings: Settings, keys: Keys, user: User, *, family_id: uuid.UUID
) -> TokenPair:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    refresh_token, refresh_hash = tokens.new_refresh_token()
    await repository.add(
        session,
        user_id=user.id,
        family_id=family_id,
        token_hash=refresh_hash,
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
    )
    access_token = tokens.create_access_token(
        keys.tokens, user.id, family_id, user.session_generation, lifetime
    )
    return TokenPair(
        access_token=access_token,
        refresh_token=refresh_token,
        token_type="bearer",  # noqa: S106 - the OAuth2 token type, not a secret
        expires_in=int(lifetime.total_seconds()),
    )
