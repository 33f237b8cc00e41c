"""Demo data so a person opening /docs has something to explore (`python -m app --demo`)."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.comments import service as comments_service
from app.config import Settings, get_settings
from app.contract import CommentCreate, PostCreate, UserCreate
from app.db.models import User
from app.db.session import SessionStatements, create_engine, create_sessionmaker
from app.posts import service as posts_service
from app.users import service as users_service

logger = logging.getLogger("app.seed")

DEMO_PASSWORD = "inkwell demo password"  # noqa: S105 - published on purpose, demo data only
PEOPLE = [
    ("ada@example.com", "Ada Lovelace", "admin"),
    ("grace@example.com", "Grace Hopper", "user"),
    ("alan@example.com", "Alan Turing", "user"),
]
TOPICS = ["history", "computing", "mathematics", "engines", "languages", "machines"]


async def _people(session: AsyncSession) -> list[User]:
    people = []
    for email, name, role in PEOPLE:
        user = await auth_service.register(
            session, UserCreate(email=email, password=DEMO_PASSWORD, display_name=name)
        )
        assert user is not None, "seeded only into a database without users"
        user.role = role
        user.email_verified = True  # demo people can publish and comment at once
        user.notify_on_comment = False  # no mail about the demo's own comments (see `seed`)
        people.append(user)
    await session.flush()
    return people


async def _posts(session: AsyncSession, settings: Settings, people: list[User]) -> None:
    for number in range(1, 31):
        author = people[number % len(people)]
        tags = [TOPICS[number % len(TOPICS)], TOPICS[(number + 2) % len(TOPICS)]]
        post = await posts_service.create(
            SessionStatements(session),
            author,
            PostCreate.model_validate(
                {
                    "title": f"Notes on {tags[0]}, part {number}",
                    "body": f"# Part {number}\n\nThoughts on *{tags[0]}* and **{tags[1]}**.",
                    "tags": sorted(set(tags)),
                }
            ),
        )
        if number % 5 == 0:
            continue  # every fifth post stays a draft
        await posts_service.set_status(session, author, post.id, "published")
        for reader in people:
            if reader.id != author.id:
                body = CommentCreate(body=f"{reader.display_name} enjoyed part {number}.")
                await comments_service.create(
                    SessionStatements(session), settings, reader, post.id, body
                )


async def seed(database_url: str) -> bool:
    """Insert the demo data once; False when the database already has users."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if await users_service.any_exist(session):
                return False
            people = await _people(session)
            await _posts(session, get_settings(), people)
            for person in people:
                person.notify_on_comment = True
            await session.commit()
            return True
    finally:
        await engine.dispose()


def seed_and_report(database_url: str) -> None:
    if asyncio.run(seed(database_url)):
        emails = ", ".join(email for email, _, _ in PEOPLE)
        print(f"Demo data loaded: users {emails} (password '{DEMO_PASSWORD}'; ada is admin).")
    else:
        print("Demo data skipped: the database already has users.")
