import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamped

PUBLISHED = text("status = 'published'")


class Post(Timestamped, Base):
    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        CheckConstraint("comment_count >= 0", name="comment_count"),
        # Keyset pagination: every list is an index range scan, however deep the page.
        Index("ix_posts_published", "published_at", "id", postgresql_where=PUBLISHED),
        Index(
            "ix_posts_author_published",
            "author_id",
            "published_at",
            "id",
            postgresql_where=PUBLISHED,
        ),
        Index("ix_posts_author_created", "author_id", "created_at", "id"),
        Index("ix_posts_tags", "tags", postgresql_using="gin"),
        Index("ix_posts_search", "search", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    status: Mapped[str] = mapped_column(String(16), server_default="draft")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment_count: Mapped[int] = mapped_column(Integer, server_default="0")
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed("to_tsvector('english', title || ' ' || body)", persisted=True),
        deferred=True,
    )
