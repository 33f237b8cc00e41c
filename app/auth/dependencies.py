"""Who is calling: `CurrentUser` (any active user), `AdminUser`, and the viewer of a
`PublicReadDep`."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security.utils import get_authorization_scheme_param

from app.auth import tokens
from app.auth.roles import Principal, is_admin
from app.config import Settings
from app.db.models import User
from app.db.reads import Reader
from app.db.session import SessionDep
from app.errors import Forbidden, Unauthorized
from app.users import repository as users_repository

REFUSED = "The access token is invalid or expired."


def _user_id(request: Request) -> uuid.UUID | None:
    """Whose bearer token the request carries: None without one, 401 with a bad one.

    Read from the request rather than through `HTTPBearer`, settings and reader dependencies:
    every public read runs this, and FastAPI's solving of those sub-dependencies cost about
    10 % of `GET /posts/{post_id}` (interleaved A/B, `nox -s bench` setup)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        return None
    settings: Settings = request.app.state.settings
    try:
        return tokens.decode_access_token(token, settings.secret_key).user_id
    except tokens.InvalidToken:
        raise Unauthorized(REFUSED) from None


async def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """The caller as an entity of the request's session: for operations that change things.

    Like `get_viewer`, it loads the account on every request, so a deactivated one is refused
    from its next request on."""
    if (user_id := _user_id(request)) is None:
        return None
    user = await users_repository.get(session, user_id)
    if user is None or not user.is_active:
        raise Unauthorized(REFUSED)
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_viewer(request: Request) -> Principal | None:
    """The caller on public reads: only who they are and their role, from the read pool, so an
    anonymous read opens no session at all."""
    if (user_id := _user_id(request)) is None:
        return None
    viewer = await users_repository.get_active(request.app.state.reader, user_id)
    if viewer is None:
        raise Unauthorized(REFUSED)
    return viewer


@dataclass(frozen=True)
class PublicRead:
    """What a public read needs, in one piece: lean routes (app.http.lean_routes) call
    `get_public_read` themselves, FastAPI routes take `PublicReadDep`, one dependency rather
    than three (FastAPI solves each dependency of a route on every request)."""

    viewer: Principal | None  # a token that is sent is checked even where nobody needs it
    reader: Reader
    secret_key: str  # signs page cursors


async def get_public_read(request: Request) -> PublicRead:
    settings: Settings = request.app.state.settings
    return PublicRead(await get_viewer(request), request.app.state.reader, settings.secret_key)


PublicReadDep = Annotated[PublicRead, Depends(get_public_read)]


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
