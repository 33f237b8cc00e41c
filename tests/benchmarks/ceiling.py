"""The ceiling: FastAPI answering the same shapes from memory, no database.

`INKWELL_CEILING_DATA` names a JSON file {"page": <PostPage>, "post": <Post>, "users": [<User>]}
captured from the real server, so both apps serialize identical documents through the same
contract models. `INKWELL_CEILING_SECRET_KEY` is the real server's SECRET_KEY: a bearer token is
checked as the server checks it (app.auth.tokens, with the keys app.keys derives from it), and
its user is looked up in memory instead of the database. The creates parse the same contract
bodies and answer a new Post or Comment.

Routes read the caller by a plain call rather than a dependency, and answer contract models
through `response_model`: the cheapest FastAPI app of this shape.
"""

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.security.utils import get_authorization_scheme_param

from app.auth.tokens import InvalidToken, decode_access_token
from app.config import Settings
from app.contract import (
    AuthorSummary,
    Comment,
    CommentCreate,
    Post,
    PostCreate,
    PostPage,
    PostStatus,
    User,
)
from app.keys import load_keys
from app.posts.slugs import slugify

_data = json.loads(Path(os.environ["INKWELL_CEILING_DATA"]).read_text())
PAGE = PostPage.model_validate(_data["page"])
POST = Post.model_validate(_data["post"])
USERS = {user.id: user for user in map(User.model_validate, _data["users"])}
TOKEN_KEYS = load_keys(Settings(secret_key=os.environ["INKWELL_CEILING_SECRET_KEY"])).tokens

app = FastAPI()


def _token_user(request: Request) -> User | None:
    """The bearer token's user, or None without a token; 401 for a bad token or unknown user."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        user = USERS.get(decode_access_token(token, TOKEN_KEYS).user_id)
    except InvalidToken:
        user = None
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED)
    return user


def _caller(request: Request) -> User:
    if (user := _token_user(request)) is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED)
    return user


def _author(user: User) -> AuthorSummary:
    return AuthorSummary(id=user.id, display_name=user.display_name)


@app.get("/api/v1/posts", response_model=PostPage)
async def list_posts(request: Request) -> PostPage:
    _token_user(request)  # a token that is sent is checked, as on the server
    return PAGE


@app.get("/api/v1/posts/{post_id}", response_model=Post)
async def get_post(post_id: uuid.UUID, request: Request) -> Post:
    _token_user(request)
    return POST


@app.post("/api/v1/posts", status_code=status.HTTP_201_CREATED, response_model=Post)
async def create_post(body: PostCreate, request: Request) -> Post:
    author, now = _author(_caller(request)), datetime.now(UTC)
    tags = body.tags if isinstance(body.tags, list) else []  # absent: the MISSING sentinel
    return Post(
        id=uuid.uuid4(),
        slug=slugify(body.title),
        title=body.title,
        body=body.body,
        tags=tags,
        status=PostStatus.draft,
        author=author,
        created_at=now,
        updated_at=now,
        published_at=None,
        comment_count=0,
    )


@app.post(
    "/api/v1/posts/{post_id}/comments", status_code=status.HTTP_201_CREATED, response_model=Comment
)
async def create_comment(post_id: uuid.UUID, body: CommentCreate, request: Request) -> Comment:
    author = _author(_caller(request))
    now = datetime.now(UTC)
    return Comment(id=uuid.uuid4(), post_id=post_id, author=author, body=body.body, created_at=now)


@app.get("/api/v1/users/me", response_model=User)
async def get_current_user(request: Request) -> User:
    return _caller(request)
