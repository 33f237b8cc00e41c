"""Create (or promote) an administrator from the command line.

    python -m app.admin EMAIL [--display-name NAME]

The password is read from INKWELL_ADMIN_PASSWORD or asked for; an existing account with that
email is promoted instead (its password is left alone).
"""

import argparse
import asyncio
import getpass
import os
import sys

from app.auth import service as auth_service
from app.config import get_settings
from app.contract import UserCreate
from app.db import migrate
from app.db.embedded import resolve_direct_database_url
from app.db.session import create_engine, create_sessionmaker
from app.errors import AppError


async def create_admin(database_url: str, email: str, display_name: str, password: str) -> str:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            user = await auth_service.find_account(session, email)
            verb = "Promoted"
            if user is None:
                body = UserCreate(email=email, password=password, display_name=display_name)
                user = await auth_service.register(session, body)
                if user is None:
                    raise RuntimeError(f"{email} was registered meanwhile; run this again.")
                verb = "Created"
            user.role = "admin"
            user.email_verified = True  # an operator vouches for the address
            user.is_active = True
            await session.commit()
            return f"{verb} admin {user.email} ({user.id})"
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("email")
    parser.add_argument("--display-name", default="Administrator")
    args = parser.parse_args()
    password = os.environ.get("INKWELL_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    url = resolve_direct_database_url(get_settings())  # migrations need PostgreSQL itself
    migrate.upgrade(url)
    try:
        print(asyncio.run(create_admin(url, args.email, args.display_name, password)))
    except (AppError, ValueError) as error:
        print(f"Refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
