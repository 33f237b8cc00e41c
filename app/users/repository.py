"""Every SQL statement about users."""

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.http.pagination import Page, PageRequest, fetch_page


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(func.lower(User.email) == email.lower())
    return (await session.scalars(statement)).one_or_none()


async def add(session: AsyncSession, *, email: str, display_name: str, password_hash: str) -> User:
    user = User(email=email, display_name=display_name, password_hash=password_hash)
    session.add(user)
    await session.flush()
    await session.refresh(user)  # server defaults: role, is_active, created_at
    return user


async def save(session: AsyncSession, user: User) -> User:
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class UserFilters:
    role: str | None = None
    is_active: bool | None = None
    query: str | None = None


async def list_page(session: AsyncSession, filters: UserFilters, page: PageRequest) -> Page[User]:
    statement = select(User)
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.is_active is not None:
        statement = statement.where(User.is_active == filters.is_active)
    if filters.query is not None:
        pattern = f"%{_escape_like(filters.query)}%"
        statement = statement.where(
            or_(
                User.email.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    return await fetch_page(session, statement, page, (User.created_at, User.id), entities=True)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def count_active_admins(session: AsyncSession, *, for_update: bool = False) -> int:
    """Active admins; `for_update` locks their rows so two demotions cannot both pass."""
    ids = select(User.id).where(User.role == "admin", User.is_active.is_(True))
    if for_update:
        ids = ids.with_for_update()
    return len(list(await session.scalars(ids)))


async def remove(session: AsyncSession, user: User) -> None:
    await session.execute(delete(User).where(User.id == user.id))
