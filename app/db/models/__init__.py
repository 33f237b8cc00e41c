"""ORM tables, one module each; importing this package registers them all on `Base.metadata`."""

from app.db.models.account_token import AccountToken
from app.db.models.comment import Comment
from app.db.models.idempotency_key import IdempotencyKey
from app.db.models.mail_delivery import MailDelivery
from app.db.models.post import Post
from app.db.models.rate_limit import RateLimitCounter
from app.db.models.refresh_token import RefreshToken
from app.db.models.user import User

__all__ = [
    "AccountToken",
    "Comment",
    "IdempotencyKey",
    "MailDelivery",
    "Post",
    "RateLimitCounter",
    "RefreshToken",
    "User",
]
