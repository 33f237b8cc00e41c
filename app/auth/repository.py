"""Every SQL statement of authentication: refresh tokens, and the account columns that sign-in
and the per-request caller lookup read (the users table's other SQL is in app.users)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Caller
from app.auth.tokens import AccessClaims
from app.db import rate_limits
from app.db.models import AccountToken, RefreshToken, User
from app.db.reads import Reader

_USERS = User.__table__.c
_CALLER_COLUMNS = (
    _USERS.id,
    _USERS.email,
    _USERS.display_name,
    _USERS.role,
    _USERS.is_active,
    _USERS.email_verified,
    _USERS.notify_on_comment,
    _USERS.created_at,
)
_TOKENS = RefreshToken.__table__.c
# An access token is honoured while its account is active, its session generation is current
# (password change and deactivation raise it) and its sign-in (refresh-token family) was not
# revoked (logout, reuse detection): decided in the one statement that loads the caller.
# The sign-in must exist for this user and none of its refresh tokens be revoked: NULL (no
# such sign-in) and false (revoked) both refuse.
_SIGN_IN_LIVE = (
    select(func.bool_and(_TOKENS.revoked_at.is_(None)))
    .where(_TOKENS.family_id == bindparam("session_id"), _TOKENS.user_id == _USERS.id)
    .scalar_subquery()
)
_IS_CALLER = (
    (_USERS.id == bindparam("user_id"))
    & _USERS.is_active
    & (_USERS.session_generation == bindparam("generation"))
    & _SIGN_IN_LIVE
)
_CALLER = select(*_CALLER_COLUMNS).where(_IS_CALLER)
# The caller and one hit on their write budget in a single round trip: the counter is a CTE,
# which PostgreSQL runs whether or not the account exists.
_hit = rate_limits.hit_cte()
_CALLER_COUNTING = (
    select(*_CALLER_COLUMNS, _hit.c.hits, _hit.c.window_start)
    .select_from(User.__table__.join(_hit, true()))
    .where(_IS_CALLER)
)


async def get_caller(reader: Reader, token: AccessClaims) -> Caller | None:
    """The account an access token speaks for, if the token is still honoured; else None."""
    rows = await reader.fetch(_CALLER, _token_params(token))
    caller: Caller | None = rows[0] if rows else None
    return caller


async def get_caller_counting(
    reader: Reader, token: AccessClaims, bucket: str, window_seconds: int
) -> Any | None:
    """`get_caller`, counting a hit in `bucket` on the way: a row with the caller's columns,
    `hits` and `window_start` (app.db.rate_limits), or None."""
    params = {**_token_params(token), "bucket": bucket, "window_seconds": window_seconds}
    rows = await reader.fetch(_CALLER_COUNTING, params)
    return rows[0] if rows else None


def _token_params(token: AccessClaims) -> dict[str, Any]:
    return {
        "user_id": token.user_id,
        "generation": token.generation,
        "session_id": token.session_id,
    }


async def get_account(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_account_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(func.lower(User.email) == email.lower())
    return (await session.scalars(statement)).one_or_none()


async def add_account(
    session: AsyncSession, *, email: str, display_name: str, password_hash: str
) -> User | None:
    """The new account; None when the email is taken by a registration that committed
    between the caller's check and this insert (the unique index decides, in a savepoint)."""
    user = User(email=email, display_name=display_name, password_hash=password_hash)
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        return None
    await session.refresh(user)  # server defaults: role, is_active, created_at
    return user


async def add(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
) -> RefreshToken:
    token = RefreshToken(
        user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
    )
    session.add(token)
    await session.flush()
    return token


async def get_by_hash_for_update(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """Lock the row: of two concurrent rotations of one token, the second sees it used."""
    statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def mark_used(session: AsyncSession, token: RefreshToken, at: datetime) -> None:
    token.used_at = at
    await session.flush()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def end_all_sessions(session: AsyncSession, user_id: uuid.UUID, at: datetime) -> None:
    """Revoke the account's refresh tokens and move its session generation on, so its access
    tokens are refused from the next request."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session=False)
    )


async def add_account_token(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, token_hash: str, expires_at: datetime
) -> None:
    session.add(
        AccountToken(user_id=user_id, purpose=purpose, token_hash=token_hash, expires_at=expires_at)
    )
    await session.flush()


async def redeem_account_token(
    session: AsyncSession, purpose: str, token_hash: str, now: datetime
) -> uuid.UUID | None:
    """Mark the token used if it is unused, unexpired and for `purpose`; its account, or None.
    One statement: of two requests racing with one token, exactly one gets the account."""
    statement = (
        update(AccountToken)
        .where(
            AccountToken.token_hash == token_hash,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(AccountToken.user_id)
    )
    user_id: uuid.UUID | None = (await session.execute(statement)).scalar_one_or_none()
    return user_id
