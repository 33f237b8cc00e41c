"""What a role allows, as plain predicates services can ask."""

from app.db.models import User


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == "admin"
