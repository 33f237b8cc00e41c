import uuid

from fastapi import APIRouter, status

from app.auth.dependencies import CurrentUser
from app.contract import PasswordChange, ProfileUpdate, User
from app.db.session import SessionDep
from app.users import service

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("/me", response_model=User)
async def get_current_user(user: CurrentUser) -> User:
    return User.model_validate(user, from_attributes=True)


@router.patch("/me", response_model=User)
async def update_current_user(body: ProfileUpdate, user: CurrentUser, session: SessionDep) -> User:
    updated = await service.update_profile(session, user, body)
    return User.model_validate(updated, from_attributes=True)


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(body: PasswordChange, user: CurrentUser, session: SessionDep) -> None:
    await service.change_password(session, user, body)


@router.get("/{user_id}", response_model=User)
async def get_user(user_id: uuid.UUID, viewer: CurrentUser, session: SessionDep) -> User:
    user = await service.get_visible(session, viewer, user_id)
    return User.model_validate(user, from_attributes=True)
