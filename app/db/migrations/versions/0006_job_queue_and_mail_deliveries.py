"""the job queue (PgQueuer, in its own schema) and the mail delivery record

PgQueuer's tables, type, function and trigger are created by PgQueuer itself (its `install`,
the same DDL as `pgq install`) in the schema `pgqueuer` (app.jobs.queue.SCHEMA): out of the
app's namespace, and out of what `alembic check` compares with the ORM models. A later
PgQueuer release that changes its schema needs a migration of its own that runs PgQueuer's
upgrade (`Queries.apply_upgrade`, as `pgq upgrade` does).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgqueuer import Queries
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence.qb import (
    DBSettings,
    QueryBuilderEnvironment,
    QueryQueueBuilder,
    QuerySchedulerBuilder,
)
from sqlalchemy.util.concurrency import await_

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "pgqueuer"


def _queries() -> Queries:
    """PgQueuer on the migration's own connection, so its DDL joins the migration's
    transaction (the DDL is several statements: asyncpg runs them unprepared, in one go)."""
    settings = DBSettings(db_schema=SCHEMA)
    connection = op.get_bind().connection.driver_connection
    return Queries(
        AsyncpgDriver(connection),
        qbe=QueryBuilderEnvironment(settings),
        qbq=QueryQueueBuilder(settings),
        qbs=QuerySchedulerBuilder(settings),
    )


def upgrade() -> None:
    await_(_queries().install())
    op.create_table(
        "mail_deliveries",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column(
            "delivered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_mail_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("mail_deliveries")
    await_(_queries().uninstall())
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA}")
