"""Rules about accounts: who may read whom, profile and password changes."""

import uuid
from datetime import UTC, datetime

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords
from app.auth import repository as tokens_repository
from app.auth.service import check_password_rules
from app.contract import PasswordChange, ProfileUpdate
from app.db.models import User
from app.errors import Forbidden, NotFound
from app.users import repository


async def get_visible(session: AsyncSession, viewer: User, user_id: uuid.UUID) -> User:
    """Admins see everyone; others only themselves. The rest is 404, not 403: no probing."""
    if viewer.id == user_id:
        return viewer
    user = await repository.get(session, user_id) if viewer.role == "admin" else None
    if user is None:
        raise NotFound("No user with this id.")
    return user


async def update_profile(session: AsyncSession, user: User, body: ProfileUpdate) -> User:
    if body.display_name is not MISSING:
        user.display_name = body.display_name
    return await repository.save(session, user)


async def change_password(session: AsyncSession, user: User, body: PasswordChange) -> None:
    if not await passwords.verify_password(body.current_password, user.password_hash):
        raise Forbidden("The current password is not correct.")
    check_password_rules(body.new_password, user.email, "body.new_password")
    user.password_hash = await passwords.hash_password(body.new_password)
    await repository.save(session, user)
    await tokens_repository.revoke_all_for_user(session, user.id, datetime.now(UTC))
