"""Getting back into an account, and proving an address: verification and password reset.

Every mail is enqueued in the request's transaction (app.jobs.queue): a request that rolls
back sends nothing, one that commits always sends. Answers never say whether an address has
an account; the mail goes to the address, so only its owner learns anything.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import mails, passwords, repository, service
from app.auth.account_links import Purpose, issue, redeem
from app.auth.roles import Caller
from app.auth.service import account_name, check_password_rules, end_sessions
from app.config import Settings
from app.contract import UserCreate
from app.db.models import User
from app.errors import Conflict, InvalidToken, NotFound
from app.jobs.queue import enqueue_mail_in_session

INVALID_LINK = "This link is invalid, used or expired; ask for a new one."


async def register(session: AsyncSession, settings: Settings, body: UserCreate) -> None:
    """A new account and its verification mail; for an address that has an account, a mail
    telling its owner instead (the caller answers both the same)."""
    user = await service.register(session, body)
    if user is None:
        notice = mails.registration_attempt(settings, account_name(body.email))
        await enqueue_mail_in_session(session, notice)
    else:
        await send_verification(session, settings, user)


async def send_verification(session: AsyncSession, settings: Settings, user: Caller | User) -> None:
    token = await issue(session, user.id, Purpose.email_verification)
    await enqueue_mail_in_session(
        session, mails.verification(settings, user.email, user.display_name, token)
    )


async def resend_verification(session: AsyncSession, settings: Settings, caller: Caller) -> None:
    if caller.email_verified:
        raise Conflict("Your email is already verified.")
    await send_verification(session, settings, caller)


async def verify_email(session: AsyncSession, token: str) -> None:
    user = await _redeemed(session, Purpose.email_verification, token)
    user.email_verified = True
    await session.flush()


async def _send_reset(session: AsyncSession, settings: Settings, user: User) -> None:
    token = await issue(session, user.id, Purpose.password_reset)
    await enqueue_mail_in_session(session, mails.password_reset(settings, user.email, token))


async def request_reset(session: AsyncSession, settings: Settings, email: str) -> None:
    """A reset link for an active account with this address; nothing (and the same answer)
    otherwise."""
    user = await repository.get_account_by_email(session, account_name(email))
    if user is not None and user.is_active:
        await _send_reset(session, settings, user)


async def send_reset(session: AsyncSession, settings: Settings, user_id: uuid.UUID) -> None:
    """An admin sends the user a reset link; nothing else changes until it is used."""
    user = await repository.get_account(session, user_id)
    if user is None:
        raise NotFound("No user with this id.")
    await _send_reset(session, settings, user)


async def reset_password(session: AsyncSession, token: str, new_password: str) -> None:
    """Set the password and end every session. Following the mailed link also proves the
    address, so the email counts as verified from now on."""
    user = await _redeemed(session, Purpose.password_reset, token)
    check_password_rules(new_password, user.email, "body.new_password")
    user.password_hash = await passwords.hash_password(new_password)
    user.email_verified = True
    await session.flush()
    await end_sessions(session, user.id)


async def _redeemed(session: AsyncSession, purpose: Purpose, token: str) -> User:
    user_id = await redeem(session, purpose, token)
    user = await repository.get_account(session, user_id) if user_id else None
    if user is None or not user.is_active:
        raise InvalidToken(INVALID_LINK)
    return user
