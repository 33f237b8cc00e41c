import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.responses import Response

from app.auth import recovery
from app.auth.dependencies import AdminUser, CurrentUser
from app.auth.dependencies import get_current_user as current_user
from app.auth.limits import limit_account_mails, limit_password_guess
from app.auth.service import account_name
from app.config import SettingsDep
from app.contract import (
    Accepted,
    PasswordChange,
    ProfileUpdate,
    Role,
    User,
    UserAdminUpdate,
    UserPage,
)
from app.db.pagination import PageRequest
from app.db.reads import ReaderDep
from app.db.session import SessionDep
from app.http.lean_routes import NoQuery, lean_get
from app.http.pagination import CursorQuery, LimitQuery, SortQuery
from app.http.responses import json_response
from app.keys import KeysDep
from app.users import service
from app.users.repository import UserFilters
from app.validation import NoNul

router = APIRouter(prefix="/api/v1/users", tags=["users"])
VERIFICATION_SENT = Accepted(detail="A new verification link is on its way.")
RESET_SENT = Accepted(detail="A reset link is on its way to the user.")


def _user(user: object) -> User:
    return User.model_validate(user, from_attributes=True)


@router.get("", response_model=UserPage)
async def list_users(
    admin: AdminUser,
    reader: ReaderDep,
    keys: KeysDep,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    role: Role | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100), NoNul] = None,
    sort: SortQuery = "newest",
) -> Response:
    filters = UserFilters(role=role.value if role else None, is_active=is_active, query=q)
    scope = f"users|{sort}|{filters.role}|{is_active}|{q}"
    page = PageRequest(limit, cursor, sort == "newest", scope, keys.cursors)
    found = await service.list_users(reader, filters, page)
    items = [_user(user) for user in found.items]
    return json_response(UserPage(items=items, next_cursor=found.next_cursor))


# A lean route (app.http.lean_routes), like the public post reads: every signed-in page of a
# frontend asks who is signed in, and an APIRoute's dependency solving cost more CPU here than
# the caller's query.
@lean_get(router.routes, "/api/v1/users/me", NoQuery)
async def get_current_user(request: Request, query: NoQuery) -> Response:
    return json_response(_user(await current_user(request)))


@router.patch("/me", response_model=User)
async def update_current_user(body: ProfileUpdate, user: CurrentUser, session: SessionDep) -> User:
    return _user(await service.update_profile(session, user, body))


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def change_password(
    body: PasswordChange,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> None:
    # Checking the current password is a guess like a sign-in: the account's budget pays.
    await limit_password_guess(request, settings, account_name(user.email))
    await service.change_password(session, user, body)


@router.post("/me/verification", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def resend_verification(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, request: Request
) -> Accepted:
    await limit_account_mails(request, settings, account_name(user.email))
    await recovery.resend_verification(session, settings, user)
    return VERIFICATION_SENT


@router.post(
    "/{user_id:uuid}/password-reset", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted
)
async def send_password_reset(
    user_id: uuid.UUID, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> Accepted:
    await recovery.send_reset(session, settings, user_id)
    return RESET_SENT


@router.get("/{user_id:uuid}", response_model=User)
async def get_user(user_id: uuid.UUID, viewer: CurrentUser, session: SessionDep) -> User:
    return _user(await service.get_visible(session, viewer, user_id))


@router.patch("/{user_id:uuid}", response_model=User)
async def update_user(
    user_id: uuid.UUID, body: UserAdminUpdate, admin: AdminUser, session: SessionDep
) -> User:
    return _user(await service.administer(session, admin, user_id, body))


@router.delete("/{user_id:uuid}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_user(user_id: uuid.UUID, admin: AdminUser, session: SessionDep) -> None:
    await service.delete(session, admin, user_id)
