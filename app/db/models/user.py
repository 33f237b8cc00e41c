import uuid

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped


class User(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are unique regardless of case; the index also serves login look-ups.
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        CheckConstraint("role IN ('user', 'admin')", name="role"),
        Index("ix_users_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), server_default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # Raised when every session of the account must end (password change, deactivation):
    # access tokens carry the generation they were issued in, and older ones are refused.
    session_generation: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set when the owner follows the mailed verification link; publishing and commenting
    # need it.
    email_verified: Mapped[bool] = mapped_column(Boolean, server_default="false")
    notify_on_comment: Mapped[bool] = mapped_column(Boolean, server_default="true")
