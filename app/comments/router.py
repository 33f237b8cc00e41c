import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from starlette.responses import Response

from app.auth.dependencies import CurrentWriter, PublicReadDep, get_current_writer
from app.auth.roles import Caller
from app.comments import service
from app.contract import AuthorSummary, Comment, CommentCreate, CommentPage
from app.db.pagination import PageRequest
from app.db.reads import Transaction
from app.db.session import SessionDep
from app.http.idempotency import Created, fingerprint, idempotency_key, idempotent_create
from app.http.lean_routes import lean_post
from app.http.pagination import CursorQuery, LimitQuery
from app.http.responses import json_bytes, json_response

PATH = "/api/v1/posts/{post_id:uuid}/comments"
router = APIRouter(prefix=PATH, tags=["comments"])


def to_contract(comment: Any, author_name: str) -> Comment:
    """A comment row (id, post_id, author_id, body, created_at) as the contract's."""
    return Comment(
        id=comment.id,
        post_id=comment.post_id,
        author=AuthorSummary(id=comment.author_id, display_name=author_name),
        body=comment.body,
        created_at=comment.created_at,
    )


@router.get("", response_model=CommentPage)
async def list_comments(
    post_id: uuid.UUID,
    read: PublicReadDep,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    page = PageRequest(limit, cursor, False, f"comments|{post_id}", read.cursor_keys)
    found = await service.list_visible(read.reader, read.viewer, post_id, page)
    items = [to_contract(row, row.author_name) for row in found.items]
    return json_response(CommentPage(items=items, next_cursor=found.next_cursor))


# A lean route, as `createPost` is (app.posts.router). Only the caller's statement runs
# before the transaction.
@lean_post(router.routes, PATH, CommentCreate, 201, get_current_writer)
async def create_comment(request: Request, user: Caller, body: CommentCreate) -> Response:
    key = idempotency_key(request)
    post_id: uuid.UUID = request.path_params["post_id"]

    settings = request.app.state.settings

    async def create(transaction: Transaction) -> Created:
        comment = await service.create(transaction, settings, user, post_id, body)
        location = f"{request.url.path}/{comment.id}"
        return Created(json_bytes(to_contract(comment, user.display_name)), location)

    # Always a transaction: the comment and the mail to the post's author commit together.
    async with request.app.state.primary.transaction() as transaction:
        request_fingerprint = fingerprint(request, body)
        return await idempotent_create(transaction, user.id, key, request_fingerprint, create)


@router.delete(
    "/{comment_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_comment(
    post_id: uuid.UUID, comment_id: uuid.UUID, user: CurrentWriter, session: SessionDep
) -> None:
    await service.delete(session, user, post_id, comment_id)
