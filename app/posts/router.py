import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel
from starlette.responses import Response

from app.auth.dependencies import CurrentWriter, get_current_writer, get_public_read
from app.auth.roles import Caller
from app.contract import Post, PostCreate, PostUpdate
from app.db.pagination import PageRequest
from app.db.reads import Reader
from app.db.session import SessionDep
from app.http.etag import MAX_TAGS_LENGTH, if_none_match, none_match, require_match
from app.http.idempotency import Created, fingerprint, idempotency_key, idempotent_create
from app.http.lean_routes import NoQuery, lean_get, lean_post
from app.http.pagination import CursorQuery, LimitQuery, SortQuery
from app.http.responses import json_response
from app.posts import service
from app.posts.repository import PostFilters
from app.posts.representation import body_and_etag, page_body
from app.validation import NoNul

router = APIRouter(tags=["posts"])

IfMatch = Annotated[str | None, Header(alias="If-Match", min_length=1, max_length=MAX_TAGS_LENGTH)]
TagQuery = Annotated[
    str | None, Query(min_length=1, max_length=32, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]


def _post_response(document: str) -> Response:
    body, etag = body_and_etag(document)
    return json_response(body, headers={"ETag": etag})


class PostListQuery(BaseModel):
    limit: LimitQuery = 20
    cursor: CursorQuery = None
    author_id: uuid.UUID | None = None
    tag: TagQuery = None
    q: Annotated[str | None, Query(min_length=1, max_length=200), NoNul] = None
    sort: SortQuery = "newest"


class UserPostListQuery(BaseModel):
    limit: LimitQuery = 20
    cursor: CursorQuery = None
    status: Literal["published", "draft", "all"] = "published"
    sort: SortQuery = "newest"


# The public post reads are lean routes (app.http.lean_routes): the most requested operations.
@lean_get(router.routes, "/api/v1/posts", PostListQuery)
async def list_posts(request: Request, query: PostListQuery) -> Response:
    read = await get_public_read(request)
    filters = PostFilters(author_id=query.author_id, tag=query.tag, query=query.q)
    scope = f"posts|{query.sort}|{query.author_id}|{query.tag}|{query.q}"
    page = PageRequest(query.limit, query.cursor, query.sort == "newest", scope, read.cursor_keys)
    found = await service.list_published(read.reader, filters, page)
    return json_response(page_body((row.document for row in found.items), found.next_cursor))


@lean_get(router.routes, "/api/v1/users/{user_id:uuid}/posts", UserPostListQuery)
async def list_user_posts(request: Request, query: UserPostListQuery) -> Response:
    read = await get_public_read(request)
    user_id: uuid.UUID = request.path_params["user_id"]
    scope = f"user-posts|{user_id}|{query.status}|{query.sort}"
    page = PageRequest(query.limit, query.cursor, query.sort == "newest", scope, read.cursor_keys)
    found = await service.list_for_user(read.reader, read.viewer, user_id, query.status, page)
    return json_response(page_body((row.document for row in found.items), found.next_cursor))


# A create is a lean route too: on the plain pool, one statement (with an Idempotency-Key, a
# transaction of three), without the session's or FastAPI's per-request cost.
@lean_post(router.routes, "/api/v1/posts", PostCreate, 201, get_current_writer)
async def create_post(request: Request, user: Caller, body: PostCreate) -> Response:
    key = idempotency_key(request)

    async def create(writer: Reader) -> Created:
        post = await service.create(writer, user, body)
        content, etag = body_and_etag(post.document)
        return Created(content, f"{request.url.path}/{post.id}", etag)

    primary = request.app.state.primary
    return await idempotent_create(primary, user.id, key, fingerprint(request, body), create)


@lean_get(router.routes, "/api/v1/posts/{post_id:uuid}", NoQuery)
async def get_post(request: Request, query: NoQuery) -> Response:
    held = if_none_match(request)
    read = await get_public_read(request)
    post = await service.read_visible(read.reader, read.viewer, request.path_params["post_id"])
    body, etag = body_and_etag(post.document)
    if none_match(held, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return json_response(body, headers={"ETag": etag})


@router.patch("/api/v1/posts/{post_id:uuid}", response_model=Post)
async def update_post(
    post_id: uuid.UUID,
    body: PostUpdate,
    user: CurrentWriter,
    session: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    service.check_update(body)
    post = await service.get_changeable(session, user, post_id)
    require_match(if_match, body_and_etag(post.document)[1], "post")
    return _post_response(await service.update(session, post, body))


@router.delete(
    "/api/v1/posts/{post_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_post(
    post_id: uuid.UUID, user: CurrentWriter, session: SessionDep, if_match: IfMatch = None
) -> None:
    post = await service.get_changeable(session, user, post_id)
    require_match(if_match, body_and_etag(post.document)[1], "post")
    await service.delete(session, post)


@router.post("/api/v1/posts/{post_id:uuid}/publish", response_model=Post)
async def publish_post(post_id: uuid.UUID, user: CurrentWriter, session: SessionDep) -> Response:
    return _post_response(await service.set_status(session, user, post_id, "published"))


@router.post("/api/v1/posts/{post_id:uuid}/unpublish", response_model=Post)
async def unpublish_post(post_id: uuid.UUID, user: CurrentWriter, session: SessionDep) -> Response:
    return _post_response(await service.set_status(session, user, post_id, "draft"))
