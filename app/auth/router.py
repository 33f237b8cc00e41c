from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from pydantic import MISSING

from app.auth import service
from app.auth.limits import AnonymousWriteLimit, limit_login
from app.config import SettingsDep
from app.contract import RefreshRequest, TokenPair, TokenRequest, User, UserCreate
from app.db.session import SessionDep
from app.keys import KeysDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=User,
    dependencies=[AnonymousWriteLimit],
)
async def register_user(
    body: UserCreate, session: SessionDep, request: Request, response: Response
) -> User:
    user = await service.register(session, body)
    response.headers["Location"] = str(request.url_for("get_user", user_id=user.id).path)
    return User.model_validate(user, from_attributes=True)


@router.post("/token", response_model=TokenPair)
async def issue_token(
    form: Annotated[TokenRequest, Form()],
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    request: Request,
    response: Response,
) -> TokenPair:
    account = service.account_name(form.username)
    presented = form.device_token if form.device_token is not MISSING else None
    device_id = service.recognised_device(keys, account, presented)
    await limit_login(request, settings, account, device_id)
    response.headers.update(NO_STORE)
    return await service.login(session, settings, keys, account, form.password, device_id)


@router.post("/refresh", response_model=TokenPair)
async def refresh_token(
    body: RefreshRequest,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    response: Response,
) -> TokenPair:
    response.headers.update(NO_STORE)
    return await service.refresh(session, settings, keys, body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout(body: RefreshRequest, session: SessionDep) -> None:
    await service.logout(session, body.refresh_token)
