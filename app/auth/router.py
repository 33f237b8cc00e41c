from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from pydantic import MISSING

from app.auth import recovery, service
from app.auth.limits import (
    AnonymousWriteLimit,
    limit_account_mails,
    limit_by_address,
    limit_login,
)
from app.config import SettingsDep
from app.contract import (
    Accepted,
    EmailVerification,
    PasswordReset,
    PasswordResetRequest,
    RefreshRequest,
    TokenPair,
    TokenRequest,
    UserCreate,
)
from app.db.session import SessionDep
from app.keys import KeysDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

NO_STORE = {"Cache-Control": "no-store"}
TOO_MANY_LINKS = "Too many attempts with links."


REGISTERED = Accepted(detail="Check your mail to finish signing up.")
RESET_REQUESTED = Accepted(detail="If the address has an account, a reset link is on its way.")


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    dependencies=[AnonymousWriteLimit],
)
async def register_user(
    body: UserCreate, session: SessionDep, settings: SettingsDep, request: Request
) -> Accepted:
    """The same answer for a new address and a taken one; the mail differs."""
    await limit_account_mails(request, settings, service.account_name(body.email))
    await recovery.register(session, settings, body)
    return REGISTERED


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def request_password_reset(
    body: PasswordResetRequest, session: SessionDep, settings: SettingsDep, request: Request
) -> Accepted:
    await limit_by_address(request, settings, "reset-address", "Too many reset requests.")
    await limit_account_mails(request, settings, service.account_name(body.email))
    await recovery.request_reset(session, settings, body.email)
    return RESET_REQUESTED


@router.post(
    "/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def reset_password(
    body: PasswordReset, session: SessionDep, settings: SettingsDep, request: Request
) -> None:
    await limit_by_address(request, settings, "link-guesses", TOO_MANY_LINKS)
    await recovery.reset_password(session, body.token, body.new_password)


@router.post("/verify-email", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def verify_email(
    body: EmailVerification, session: SessionDep, settings: SettingsDep, request: Request
) -> None:
    await limit_by_address(request, settings, "link-guesses", TOO_MANY_LINKS)
    await recovery.verify_email(session, body.token)


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
