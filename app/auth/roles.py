"""Who is asking, and what a role allows, as plain predicates services can ask."""

import uuid
from datetime import datetime
from typing import Protocol


class Principal(Protocol):
    """Who is asking: a `User` entity, or the caller row every signed-in request loads."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def role(self) -> str: ...


class Caller(Principal, Protocol):
    """The signed-in caller as loaded once per request (app.auth.dependencies): the account's
    public columns, enough to answer `GET /users/me` and to decide on every operation."""

    @property
    def email(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def email_verified(self) -> bool: ...

    @property
    def notify_on_comment(self) -> bool: ...

    @property
    def created_at(self) -> datetime: ...


def is_admin(user: Principal | None) -> bool:
    return user is not None and user.role == "admin"
