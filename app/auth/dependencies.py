"""Who is calling: `CurrentUser` (any active user), `CurrentWriter` (the same, counted against
the write budget), `AdminUser`, and the viewer of a `PublicReadDep`.

What a request may hold: the caller is loaded (and a write counted) in one statement on a
read-pool connection, which goes back to the pool before the handler runs; the request's
session then takes at most one connection of its own. No request ever waits for a second
connection while holding one, so a burst of writes cannot deadlock the pools.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security.utils import get_authorization_scheme_param

from app.auth import repository, tokens
from app.auth.limits import writes_policy
from app.auth.roles import Caller, is_admin
from app.auth.tokens import AccessClaims
from app.db.reads import Reader
from app.errors import Forbidden, Unauthorized
from app.http import rate_limit
from app.keys import Keyring, Keys

REFUSED = "The access token is invalid or expired."
REQUIRED = "An access token is required: `Authorization: Bearer <token>`."


def _token(request: Request) -> AccessClaims | None:
    """The bearer token the request carries: None without one, 401 with a bad one.

    Read from the request rather than through `HTTPBearer`, settings and reader dependencies:
    every public read runs this, and FastAPI's solving of those sub-dependencies cost about
    10 % of `GET /posts/{post_id}` (interleaved A/B, `nox -s bench` setup)."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        return None
    keys: Keys = request.app.state.keys
    try:
        return tokens.decode_access_token(token, keys.tokens)
    except tokens.InvalidToken:
        raise Unauthorized(REFUSED) from None


async def get_viewer(request: Request) -> Caller | None:
    """The caller, if the request carries a token. The account is loaded on every request, so
    a deactivated one is refused from its next request on."""
    if (token := _token(request)) is None:
        return None
    caller = await repository.get_caller(request.app.state.primary, token)
    if caller is None:
        raise Unauthorized(REFUSED)
    return caller


async def get_current_user(request: Request) -> Caller:
    if (caller := await get_viewer(request)) is None:
        raise Unauthorized(REQUIRED)
    return caller


CurrentUser = Annotated[Caller, Depends(get_current_user)]


async def get_current_writer(request: Request) -> Caller:
    """`get_current_user` for writes: the same statement counts the write against the
    caller's budget (429 once spent), so a signed-in write costs one round trip before its
    transaction."""
    if (token := _token(request)) is None:
        raise Unauthorized(REQUIRED)
    policy = writes_policy(request.app.state.settings)
    bucket = policy.bucket(f"user:{token.user_id}")
    row = await repository.get_caller_counting(
        request.app.state.primary, token, bucket, policy.window_seconds
    )
    if row is None:
        raise Unauthorized(REFUSED)
    rate_limit.apply(request, policy, row.hits, row.window_start, "Too many writes.")
    caller: Caller = row
    return caller


CurrentWriter = Annotated[Caller, Depends(get_current_writer)]


async def require_admin(user: CurrentUser) -> Caller:
    if not is_admin(user):
        raise Forbidden("This operation is for administrators.")
    return user


AdminUser = Annotated[Caller, Depends(require_admin)]


@dataclass(frozen=True)
class PublicRead:
    """What a public read needs, in one piece: lean routes (app.http.lean_routes) call
    `get_public_read` themselves, FastAPI routes take `PublicReadDep`, one dependency rather
    than three (FastAPI solves each dependency of a route on every request)."""

    viewer: Caller | None  # a token that is sent is checked even where nobody needs it
    reader: Reader
    cursor_keys: Keyring  # sign page cursors


async def get_public_read(request: Request) -> PublicRead:
    """Anonymous reads from `app.state.reader` (a replica's pool when DATABASE_READ_URL is
    set); a caller with a valid token reads from the primary, so sees their own writes."""
    state = request.app.state
    keys: Keys = state.keys
    viewer = await get_viewer(request)
    return PublicRead(viewer, state.reader if viewer is None else state.primary, keys.cursors)


PublicReadDep = Annotated[PublicRead, Depends(get_public_read)]
