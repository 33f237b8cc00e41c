from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class RateLimitCounter(Base):
    """The hits of one bucket in its current fixed window, shared by every worker.

    One row per bucket: a new window overwrites the old one, so the table holds no history.
    UNLOGGED: a hit writes no WAL, so counting never waits for a WAL flush while it holds the
    bucket's row lock (a user's concurrent writes would otherwise queue behind each other's
    commits). The price: after a PostgreSQL crash (not a clean restart) the counters start
    from zero, and replicas have none (they need none).
    """

    __tablename__ = "rate_limit_counters"
    __table_args__ = {"prefixes": ["UNLOGGED"]}  # noqa: RUF012 - SQLAlchemy's own attribute

    bucket: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hits: Mapped[int] = mapped_column(Integer)
