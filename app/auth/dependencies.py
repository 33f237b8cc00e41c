"""Who is calling: `CurrentUser` (any active user) and `AdminUser`."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import tokens
from app.auth.roles import is_admin
from app.config import SettingsDep
from app.db.models import User
from app.db.session import SessionDep
from app.errors import Forbidden, Unauthorized
from app.users import repository as users_repository

_bearer = HTTPBearer(auto_error=False)


async def get_optional_user(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The caller on public operations: anonymous without a token, 401 with a bad one."""
    if credentials is None:
        return None
    try:
        claims = tokens.decode_access_token(credentials.credentials, settings.secret_key)
    except tokens.InvalidToken:
        raise Unauthorized("The access token is invalid or expired.") from None
    # Loaded on every request so a deactivated account is refused from its next request on.
    user = await users_repository.get(session, claims.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("The access token is invalid or expired.")
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise Unauthorized("An access token is required: `Authorization: Bearer <token>`.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_admin(user: CurrentUser) -> User:
    if not is_admin(user):
        raise Forbidden("This operation is for administrators.")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
