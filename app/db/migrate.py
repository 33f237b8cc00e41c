"""Alembic, configured in code: `python -m app.db.migrate [upgrade|check|revision -m MSG]`."""

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    # ConfigParser interpolation would treat a '%' in a password as a reference.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def check(database_url: str) -> None:
    """Raise when the ORM models and the migrations disagree."""
    command.check(alembic_config(database_url))


def main() -> None:
    from app.config import get_settings
    from app.db.embedded import resolve_direct_database_url

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["upgrade", "check", "revision"])
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args()
    # DDL in one session, on PostgreSQL itself: DATABASE_DIRECT_URL, else DATABASE_URL (refused
    # when DATABASE_POOLER=transaction says that is a pooler's).
    url = resolve_direct_database_url(get_settings())
    if args.action == "upgrade":
        upgrade(url)
    elif args.action == "check":
        check(url)
    else:
        upgrade(url)
        command.revision(alembic_config(url), message=args.message, autogenerate=True)


if __name__ == "__main__":
    main()
