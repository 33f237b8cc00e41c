"""Every SQL statement about users."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User


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
