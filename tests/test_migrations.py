import pytest

from app.db import migrate


def test_models_and_migrations_agree(database_url: str) -> None:
    """`alembic check`: fails when a model changed without a migration (or the reverse)."""
    migrate.check(database_url)


def test_check_detects_a_missing_migration(database_url: str) -> None:
    from sqlalchemy import Column, Integer, Table

    from app.db.base import Base

    table = Table("unmigrated_probe", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        with pytest.raises(Exception, match="New upgrade operations detected"):
            migrate.check(database_url)
    finally:
        Base.metadata.remove(table)
