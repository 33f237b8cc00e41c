"""unlogged rate limits, one row per bucket; comment counts kept by a trigger

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every insert and delete of a comment, including those cascaded from a deleted user or post,
# moves its post's count in the same transaction: the count cannot drift, whatever races.
COUNT_FUNCTION = """
CREATE FUNCTION posts_count_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE posts SET comment_count = comment_count + 1 WHERE id = NEW.post_id;
  ELSE
    UPDATE posts SET comment_count = comment_count - 1 WHERE id = OLD.post_id;
  END IF;
  RETURN NULL;
END $$
"""
COUNT_TRIGGER = """
CREATE TRIGGER comments_count AFTER INSERT OR DELETE ON comments
FOR EACH ROW EXECUTE FUNCTION posts_count_comments()
"""
RECOUNT = """
UPDATE posts SET comment_count = counted.n
FROM (SELECT posts.id, count(comments.id) AS n FROM posts
      LEFT JOIN comments ON comments.post_id = posts.id GROUP BY posts.id) AS counted
WHERE posts.id = counted.id AND posts.comment_count <> counted.n
"""


def upgrade() -> None:
    op.drop_table("rate_limit_counters")  # counts of the current windows only: nothing to keep
    op.create_table(
        "rate_limit_counters",
        sa.Column("bucket", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_limit_counters")),
        prefixes=["UNLOGGED"],
    )
    op.execute(COUNT_FUNCTION)
    op.execute(COUNT_TRIGGER)
    op.execute(RECOUNT)  # repair counts that drifted before the trigger existed


def downgrade() -> None:
    op.execute("DROP TRIGGER comments_count ON comments")
    op.execute("DROP FUNCTION posts_count_comments()")
    op.drop_table("rate_limit_counters")
    op.create_table(
        "rate_limit_counters",
        sa.Column("bucket", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name=op.f("pk_rate_limit_counters")),
    )
