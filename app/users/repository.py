"""Every SQL statement about users."""

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.pagination import Page, PageRequest, fetch_page
from app.db.reads import Reader


async def get(
    session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> User | None:
    """The account; `for_update` locks it against a concurrent change (a password change)."""
    return await session.get(User, user_id, with_for_update=for_update)


async def save(session: AsyncSession, user: User) -> User:
    await session.flush()
    return user


@dataclass(frozen=True, slots=True)
class UserFilters:
    role: str | None = None
    is_active: bool | None = None
    query: str | None = None


# Lists and existence checks are plain reads on the read pool (app.db.reads); the shape of a
# filtered list is built once, its values bound per request.
_USERS = User.__table__.c
# The contract's `User` fields.
_LISTED_FIELDS = (
    "id",
    "email",
    "display_name",
    "role",
    "is_active",
    "email_verified",
    "notify_on_comment",
    "created_at",
)
_LISTED = select(*(_USERS[name] for name in _LISTED_FIELDS))
_EXISTS = select(_USERS.id).where(_USERS.id == bindparam("user_id"))


async def any_exist(session: AsyncSession) -> bool:
    return await session.scalar(select(User.id).limit(1)) is not None


async def exists(reader: Reader, user_id: uuid.UUID) -> bool:
    return bool(await reader.fetch(_EXISTS, {"user_id": user_id}))


@lru_cache(maxsize=16)
def _list_statement(by_role: bool, by_active: bool, by_query: bool) -> Select[*tuple[Any, ...]]:
    statement = _LISTED
    if by_role:
        statement = statement.where(_USERS.role == bindparam("role"))
    if by_active:
        statement = statement.where(_USERS.is_active == bindparam("is_active"))
    if by_query:
        pattern: BindParameter[str] = bindparam("pattern")
        statement = statement.where(
            or_(
                _USERS.email.ilike(pattern, escape="\\"),
                _USERS.display_name.ilike(pattern, escape="\\"),
            )
        )
    return statement


async def list_page(reader: Reader, filters: UserFilters, page: PageRequest) -> Page[Any]:
    """Rows with the listed users' public columns (never the password hash)."""
    statement = _list_statement(
        filters.role is not None, filters.is_active is not None, filters.query is not None
    )
    params = {
        "role": filters.role,
        "is_active": filters.is_active,
        "pattern": f"%{_escape_like(filters.query)}%" if filters.query is not None else None,
    }
    return await fetch_page(reader, statement, page, (_USERS.created_at, _USERS.id), params)


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
