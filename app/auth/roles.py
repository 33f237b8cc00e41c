"""What a role allows, as plain predicates services can ask."""

import uuid
from typing import Protocol


class Principal(Protocol):
    """Who is asking: a `User` entity, or the (id, role) row that public reads load."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def role(self) -> str: ...


def is_admin(user: Principal | None) -> bool:
    return user is not None and user.role == "admin"
