"""Rules about posts: who sees and changes what, and the draft/published life cycle."""

import uuid
from typing import Literal

from pydantic import MISSING
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Principal, is_admin
from app.contract import PostCreate, PostUpdate, Tag
from app.db.models import Post, User
from app.db.reads import Reader
from app.errors import Conflict, Forbidden, InvalidField, NotFound
from app.http.pagination import Page, PageRequest
from app.posts import repository, slugs
from app.posts.repository import ListRow, PostFilters
from app.users import repository as users_repository

PostWithAuthor = tuple[Post, str]
NOT_FOUND = "No post with this id."


def can_see(viewer: Principal | None, post: Post | ListRow) -> bool:
    return post.status == "published" or can_change(viewer, post)


def can_change(viewer: Principal | None, post: Post | ListRow) -> bool:
    return viewer is not None and (viewer.id == post.author_id or is_admin(viewer))


def _distinct_tags(tags: list[Tag]) -> list[str]:
    values = [tag.root for tag in tags]
    if len(set(values)) != len(values):
        raise InvalidField("body.tags", "Tags must be distinct.")
    return values


SLUG_ATTEMPTS = 5


async def create(session: AsyncSession, author: User, body: PostCreate) -> PostWithAuthor:
    tags = _distinct_tags(body.tags) if body.tags is not MISSING else []
    base = slug = slugs.slugify(body.title)
    # The plain slug first; when the unique index refuses it (taken before, or by a concurrent
    # post with the same title), a suffixed variant.
    for _ in range(SLUG_ATTEMPTS):
        post = Post(author_id=author.id, slug=slug, title=body.title, body=body.body, tags=tags)
        if (created := await repository.add_unless_slug_taken(session, post)) is not None:
            return created, author.display_name
        slug = slugs.with_suffix(base)
    raise Conflict("Could not find a free slug for this title; retry.")


async def get_visible(
    session: AsyncSession, viewer: Principal | None, post_id: uuid.UUID, *, for_update: bool = False
) -> PostWithAuthor:
    """The post if the viewer may see it; otherwise 404, so drafts cannot be probed."""
    found = await repository.get_with_author(session, post_id, for_update=for_update)
    if found is None or not can_see(viewer, found[0]):
        raise NotFound(NOT_FOUND)
    return found


async def read_visible(reader: Reader, viewer: Principal | None, post_id: uuid.UUID) -> ListRow:
    """`get_visible` for reading only: a plain row from the read pool."""
    row = await repository.get_row(reader, post_id)
    if row is None or not can_see(viewer, row):
        raise NotFound(NOT_FOUND)
    return row


async def get_changeable(session: AsyncSession, viewer: User, post_id: uuid.UUID) -> PostWithAuthor:
    """Locked for the rest of the transaction; 403 when visible but not the viewer's to change."""
    found = await get_visible(session, viewer, post_id, for_update=True)
    if not can_change(viewer, found[0]):
        raise Forbidden("Only the author or an admin may change this post.")
    return found


def check_update(body: PostUpdate) -> None:
    """Rules the schema cannot state, checked before any precondition: bad input is 422 first."""
    if body.tags is not MISSING:
        _distinct_tags(body.tags)


async def update(session: AsyncSession, found: PostWithAuthor, body: PostUpdate) -> PostWithAuthor:
    post, author_name = found
    if body.title is not MISSING:
        post.title = body.title
    if body.body is not MISSING:
        post.body = body.body
    if body.tags is not MISSING:
        post.tags = _distinct_tags(body.tags)
    return await repository.save(session, post), author_name


async def delete(session: AsyncSession, found: PostWithAuthor) -> None:
    await repository.remove(session, found[0])


async def set_status(
    session: AsyncSession, viewer: User, post_id: uuid.UUID, status: Literal["draft", "published"]
) -> PostWithAuthor:
    post, author_name = await get_changeable(session, viewer, post_id)
    if post.status == status:
        raise Conflict(f"The post is already {'a draft' if status == 'draft' else 'published'}.")
    post.status = status
    post.published_at = func.now() if status == "published" else None
    return await repository.save(session, post), author_name


async def list_published(reader: Reader, filters: PostFilters, page: PageRequest) -> Page[ListRow]:
    return await repository.list_page(reader, filters, page)


async def list_for_user(
    reader: Reader,
    viewer: Principal | None,
    user_id: uuid.UUID,
    status: Literal["published", "draft", "all"],
    page: PageRequest,
) -> Page[ListRow]:
    if not await users_repository.exists(reader, user_id):
        raise NotFound("No user with this id.")
    owner_or_admin = viewer is not None and (viewer.id == user_id or is_admin(viewer))
    if status != "published" and not owner_or_admin:
        raise Forbidden("Only the author or an admin may list drafts.")
    statuses = {"published": ("published",), "draft": ("draft",), "all": ("draft", "published")}
    filters = PostFilters(author_id=user_id, statuses=statuses[status])
    return await repository.list_page(reader, filters, page)
