"""Rules about accounts: who may read whom, profile and password changes."""

import uuid
from typing import Any

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords
from app.auth import service as auth_service
from app.auth.roles import Caller, Principal, is_admin
from app.contract import PasswordChange, ProfileUpdate, Role, UserAdminUpdate
from app.db.models import User
from app.db.pagination import Page, PageRequest
from app.db.reads import Reader
from app.errors import Conflict, Forbidden, NotFound
from app.users import repository

NO_USER = "No user with this id."


async def exists(reader: Reader, user_id: uuid.UUID) -> bool:
    return await repository.exists(reader, user_id)


async def any_exist(session: AsyncSession) -> bool:
    return await repository.any_exist(session)


async def get_visible(session: AsyncSession, viewer: Caller, user_id: uuid.UUID) -> Caller | User:
    """Admins see everyone; others only themselves. The rest is 404, not 403: no probing."""
    if viewer.id == user_id:
        return viewer
    user = await repository.get(session, user_id) if is_admin(viewer) else None
    if user is None:
        raise NotFound(NO_USER)
    return user


async def update_profile(session: AsyncSession, caller: Caller, body: ProfileUpdate) -> User:
    user = await _get(session, caller.id)
    if body.display_name is not MISSING:
        user.display_name = body.display_name
    if body.notify_on_comment is not MISSING:
        user.notify_on_comment = body.notify_on_comment
    return await repository.save(session, user)


async def change_password(session: AsyncSession, caller: Caller, body: PasswordChange) -> None:
    user = await _get(session, caller.id, for_update=True)
    if not await passwords.verify_password(body.current_password, user.password_hash):
        raise Forbidden("The current password is not correct.")
    auth_service.check_password_rules(body.new_password, user.email, "body.new_password")
    user.password_hash = await passwords.hash_password(body.new_password)
    await repository.save(session, user)
    await auth_service.end_sessions(session, user.id)


async def list_users(
    reader: Reader, filters: repository.UserFilters, page: PageRequest
) -> Page[Any]:
    return await repository.list_page(reader, filters, page)


async def _keep_an_admin(session: AsyncSession, acting: Principal, user: User) -> None:
    """409 when an admin would lock themselves out, or the last active admin would go."""
    if user.id == acting.id:
        raise Conflict("Admins cannot demote, deactivate or delete themselves: ask another admin.")
    if (
        user.role == "admin"
        and user.is_active
        and await repository.count_active_admins(session, for_update=True) <= 1
    ):
        raise Conflict("This is the last active admin: promote another admin first.")


async def _get(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User:
    user = await repository.get(session, user_id, for_update=for_update)
    if user is None:
        raise NotFound(NO_USER)
    return user


async def administer(
    session: AsyncSession, acting: Principal, user_id: uuid.UUID, body: UserAdminUpdate
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
            await auth_service.end_sessions(session, user.id)
    return await repository.save(session, user)


async def delete(session: AsyncSession, acting: Principal, user_id: uuid.UUID) -> None:
    """The user goes with their posts and comments; the database keeps the comment counts of
    others' posts exact (a trigger on comments, migration 0003)."""
    user = await _get(session, user_id)
    await _keep_an_admin(session, acting, user)
    await repository.remove(session, user)
