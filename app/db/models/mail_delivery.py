from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class MailDelivery(Base):
    """A mail the SMTP server accepted, by its Message-ID: the worker sends a mail only when
    it has no row here, so a job run again after its worker died (sent, not yet acknowledged)
    does not send it twice. Purged after a week, long after any retry of the job."""

    __tablename__ = "mail_deliveries"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
