"""The ceiling: FastAPI answering the same response shapes from memory, no database.

`INKWELL_CEILING_DATA` names a JSON file {"page": <PostPage>, "post": <Post>} captured from the
real server, so both apps serialize identical documents through the same contract models.
"""

import json
import os
import uuid
from pathlib import Path

from fastapi import FastAPI

from app.contract import Post, PostPage

_data = json.loads(Path(os.environ["INKWELL_CEILING_DATA"]).read_text())
PAGE = PostPage.model_validate(_data["page"])
POST = Post.model_validate(_data["post"])

app = FastAPI()


@app.get("/api/v1/posts", response_model=PostPage)
async def list_posts() -> PostPage:
    return PAGE


@app.get("/api/v1/posts/{post_id}", response_model=Post)
async def get_post(post_id: uuid.UUID) -> Post:
    return POST
