"""Rules about posts: who sees and changes what, and the draft/published life cycle.

Posts travel as `PostRow`s (id, author_id, status and the rendered document): the rules need
only whose post it is and its status, and every answer is the document PostgreSQL rendered.
"""

import uuid
from typing import Literal

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Caller, Principal, is_admin
from app.contract import PostCreate, PostUpdate, Tag
from app.db.pagination import Page, PageRequest
from app.db.reads import Reader
from app.errors import Conflict, EmailNotVerified, Forbidden, InvalidField, NotFound
from app.posts import repository, slugs
from app.posts.repository import NewPost, PostFilters, PostRow
from app.users import service as users_service

NOT_FOUND = "No post with this id."
SLUG_ATTEMPTS = 5


def can_see(viewer: Principal | None, post: PostRow) -> bool:
    return post.status == "published" or can_change(viewer, post)


def can_change(viewer: Principal | None, post: PostRow) -> bool:
    return viewer is not None and (viewer.id == post.author_id or is_admin(viewer))


def _distinct_tags(tags: list[Tag]) -> list[str]:
    values = [tag.root for tag in tags]
    if len(set(values)) != len(values):
        raise InvalidField("body.tags", "Tags must be distinct.")
    return values


async def create(writer: Reader, author: Caller, body: PostCreate) -> PostRow:
    """One statement per slug tried: atomic by itself, or part of the writer's transaction."""
    tags = _distinct_tags(body.tags) if body.tags is not MISSING else []
    base = slug = slugs.slugify(body.title)
    # The plain slug first; when the unique index refuses it (taken before, or by a concurrent
    # post with the same title), a suffixed variant.
    for _ in range(SLUG_ATTEMPTS):
        post = NewPost(author.id, slug, body.title, body.body, tags)
        if (created := await repository.insert_unless_slug_taken(writer, post)) is not None:
            return created
        slug = slugs.with_suffix(base)
    raise Conflict("Could not find a free slug for this title; retry.")


async def read_visible(reader: Reader, viewer: Principal | None, post_id: uuid.UUID) -> PostRow:
    """The post if the viewer may see it; otherwise 404, so drafts cannot be probed."""
    post = await repository.get(reader, post_id)
    if post is None or not can_see(viewer, post):
        raise NotFound(NOT_FOUND)
    return post


async def get_visible_locked(
    session: AsyncSession, viewer: Principal, post_id: uuid.UUID
) -> PostRow:
    """`read_visible` in the request's transaction, the post locked until it ends."""
    post = await repository.get_locked(session, post_id)
    if post is None or not can_see(viewer, post):
        raise NotFound(NOT_FOUND)
    return post


async def get_changeable(session: AsyncSession, viewer: Principal, post_id: uuid.UUID) -> PostRow:
    """Locked for the rest of the transaction; 403 when visible but not the viewer's to change."""
    post = await get_visible_locked(session, viewer, post_id)
    if not can_change(viewer, post):
        raise Forbidden("Only the author or an admin may change this post.")
    return post


def check_update(body: PostUpdate) -> None:
    """Rules the schema cannot state, checked before any precondition: bad input is 422 first."""
    if body.tags is not MISSING:
        _distinct_tags(body.tags)


async def update(session: AsyncSession, post: PostRow, body: PostUpdate) -> str:
    """The changed post's document."""
    values: dict[str, object] = {}
    if body.title is not MISSING:
        values["title"] = body.title
    if body.body is not MISSING:
        values["body"] = body.body
    if body.tags is not MISSING:
        values["tags"] = _distinct_tags(body.tags)
    return await repository.change(session, post.id, values)


async def delete(session: AsyncSession, post: PostRow) -> None:
    await repository.remove(session, post.id)


async def set_status(
    session: AsyncSession,
    viewer: Caller,
    post_id: uuid.UUID,
    status: Literal["draft", "published"],
) -> str:
    if status == "published" and not viewer.email_verified:
        raise EmailNotVerified("Verify your email to publish: follow the link we mailed you.")
    post = await get_changeable(session, viewer, post_id)
    if post.status == status:
        raise Conflict(f"The post is already {'a draft' if status == 'draft' else 'published'}.")
    return await repository.set_status(session, post_id, status)


async def list_published(reader: Reader, filters: PostFilters, page: PageRequest) -> Page[PostRow]:
    return await repository.list_page(reader, filters, page)


async def list_for_user(
    reader: Reader,
    viewer: Principal | None,
    user_id: uuid.UUID,
    status: Literal["published", "draft", "all"],
    page: PageRequest,
) -> Page[PostRow]:
    if not await users_service.exists(reader, user_id):
        raise NotFound("No user with this id.")
    owner_or_admin = viewer is not None and (viewer.id == user_id or is_admin(viewer))
    if status != "published" and not owner_or_admin:
        raise Forbidden("Only the author or an admin may list drafts.")
    statuses = {"published": ("published",), "draft": ("draft",), "all": ("draft", "published")}
    filters = PostFilters(author_id=user_id, statuses=statuses[status])
    return await repository.list_page(reader, filters, page)
