"""Rules about accounts: who may read whom, profile and password changes."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords
from app.auth import repository as tokens_repository
from app.auth import service as auth_service
from app.contract import PasswordChange, ProfileUpdate, Role, UserAdminUpdate
from app.db.models import User
from app.db.reads import Reader
from app.errors import Conflict, Forbidden, NotFound
from app.http.pagination import Page, PageRequest
from app.posts import repository as posts_repository
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
    auth_service.check_password_rules(body.new_password, user.email, "body.new_password")
    user.password_hash = await passwords.hash_password(body.new_password)
    await repository.save(session, user)
    await tokens_repository.revoke_all_for_user(session, user.id, datetime.now(UTC))


async def list_users(
    reader: Reader, filters: repository.UserFilters, page: PageRequest
) -> Page[Any]:
    return await repository.list_page(reader, filters, page)


async def _keep_an_admin(session: AsyncSession, acting: User, user: User) -> None:
    """409 when an admin would lock themselves out, or the last active admin would go."""
    if user.id == acting.id:
        raise Conflict("Admins cannot demote, deactivate or delete themselves: ask another admin.")
    if (
        user.role == "admin"
        and user.is_active
        and await repository.count_active_admins(session, for_update=True) <= 1
    ):
        raise Conflict("This is the last active admin: promote another admin first.")


async def _get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound("No user with this id.")
    return user


async def administer(
    session: AsyncSession, acting: User, user_id: uuid.UUID, body: UserAdminUpdate
) -> User:
    user = await _get(session, user_id)
    demoted = body.role is not MISSING and body.role != Role.admin
    deactivated = body.is_active is not MISSING and not body.is_active
    if demoted or deactivated:
        await _keep_an_admin(session, acting, user)
    if body.role is not MISSING:
        user.role = body.role.value
    if body.is_active is not MISSING:
        user.is_active = body.is_active
        if not body.is_active:
            await tokens_repository.revoke_all_for_user(session, user.id, datetime.now(UTC))
    return await repository.save(session, user)


async def delete(session: AsyncSession, acting: User, user_id: uuid.UUID) -> None:
    """The user goes with their posts and comments; counts on others' posts are corrected."""
    user = await _get(session, user_id)
    await _keep_an_admin(session, acting, user)
    await posts_repository.discount_comments_by(session, user.id)
    await repository.remove(session, user)
