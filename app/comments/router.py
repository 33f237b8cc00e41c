import uuid
from typing import Any

from fastapi import APIRouter, Request, status
from starlette.responses import Response

from app.auth.dependencies import CurrentWriter, PublicReadDep
from app.comments import service
from app.contract import AuthorSummary, Comment, CommentCreate, CommentPage
from app.db.pagination import PageRequest
from app.db.session import SessionDep
from app.http.idempotency import Created, IdempotencyKeyHeader, fingerprint, idempotent_create
from app.http.pagination import CursorQuery, LimitQuery
from app.http.responses import json_bytes, json_response

router = APIRouter(prefix="/api/v1/posts/{post_id:uuid}/comments", tags=["comments"])


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


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Comment)
async def create_comment(
    post_id: uuid.UUID,
    body: CommentCreate,
    user: CurrentWriter,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    async def create() -> Created:
        comment = await service.create(session, user, post_id, body)
        location = f"{request.url.path}/{comment.id}"
        return Created(json_bytes(to_contract(comment, user.display_name)), location)

    request_fingerprint = fingerprint(request, body)
    return await idempotent_create(session, user.id, idempotency_key, request_fingerprint, create)


@router.delete(
    "/{comment_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_comment(
    post_id: uuid.UUID, comment_id: uuid.UUID, user: CurrentWriter, session: SessionDep
) -> None:
    await service.delete(session, user, post_id, comment_id)
