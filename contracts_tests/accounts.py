"""Accounts for contract runs, made directly in the database, and their access tokens."""

import asyncio
import json
import urllib.request
import uuid

from app.auth import service as auth_service
from app.auth.account_links import Purpose, issue
from app.contract import UserCreate
from app.db.session import create_engine, create_sessionmaker

PASSWORD = "contract passphrase"


async def _create(
    database_url: str, email: str, display_name: str, role: str, verified: bool
) -> uuid.UUID:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            body = UserCreate(email=email, password=PASSWORD, display_name=display_name)
            user = await auth_service.register(session, body)
            if user is None:
                raise RuntimeError(f"{email} exists already")
            user.role = role
            user.email_verified = verified  # as if the mailed link had been followed
            user.is_active = True
            await session.commit()
            user_id: uuid.UUID = user.id
            return user_id
    finally:
        await engine.dispose()


def create_account(
    database_url: str, email: str, display_name: str, role: str = "user", verified: bool = True
) -> str:
    """Create an active account with PASSWORD and `role`, its email verified unless told
    otherwise; return its id."""
    return str(asyncio.run(_create(database_url, email, display_name, role, verified)))


async def _link(database_url: str, user_id: str, purpose: Purpose) -> str:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            token = await issue(session, uuid.UUID(user_id), purpose)
            await session.commit()
            return token
    finally:
        await engine.dispose()


def link_token(database_url: str, user_id: str, purpose: Purpose) -> str:
    """The token of a mailed link (verification or reset) for the account, as if mailed."""
    return asyncio.run(_link(database_url, user_id, purpose))


def access_token(base_url: str, email: str, password: str = PASSWORD) -> str:
    form = f"username={email}&password={password.replace(' ', '+')}".encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["access_token"]
        return token
