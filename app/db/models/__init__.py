"""ORM tables, one module each; importing this package registers them all on `Base.metadata`."""

from app.db.models.refresh_token import RefreshToken
from app.db.models.user import User

__all__ = ["RefreshToken", "User"]
