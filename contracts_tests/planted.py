"""The app with the deviations of issue 13 planted, to show that the contract checks catch each.

Each plant changes what the server does, the way a slip in app/ would:

- `widen_list_default`: `GET /posts` serves 50 posts by default (the spec's default is 20);
- `open_list_users`: `listUsers` asks for any signed-in caller instead of an admin;
- `StripHeaders`: an answer loses a header the spec marks `required: true` (the refresh's
  `Cache-Control: no-store`, a post's `ETag`, a create's `Location`).

`uvicorn contracts_tests.planted:app` serves them all together (contracts_tests.live_server's
`asgi_app`); the tests plant them one at a time in-process too.
"""

import inspect
import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.dependencies import CurrentUser
from app.http.lean_routes import lean_get
from app.http.pagination import LimitQuery
from app.main import create_app
from app.posts import router as posts_router

# (method, path pattern, header): the header stripped from every answer to such a request.
STRIPPED = (
    ("POST", r"/api/v1/auth/refresh", "cache-control"),
    ("GET", r"/api/v1/posts/[^/]+", "etag"),
    ("POST", r"/api/v1/posts", "location"),
)


def _replace(app: FastAPI, method: str, path: str, route: BaseRoute) -> None:
    routes = app.router.routes
    for index, old in enumerate(routes):
        if getattr(old, "path", None) == path and method in (getattr(old, "methods", None) or ()):
            routes[index] = route
            return
    raise LookupError(f"no route {method} {path}")


class WideQuery(posts_router.PostListQuery):
    limit: LimitQuery = 50


def widen_list_default(app: FastAPI) -> None:
    """`GET /api/v1/posts` with a default page of 50."""
    routes: list[Any] = []
    lean_get(routes, "/api/v1/posts", WideQuery)(posts_router.list_posts)
    _replace(app, "GET", "/api/v1/posts", routes[0])


def open_list_users(app: FastAPI) -> None:
    """`GET /api/v1/users` with its `admin: AdminUser` parameter made `CurrentUser`."""
    (old,) = [r for r in app.router.routes if getattr(r, "name", None) == "list_users"]
    assert isinstance(old, APIRoute)
    original = old.endpoint
    signature = inspect.signature(original)
    parameters = [
        p.replace(annotation=CurrentUser) if p.name == "admin" else p
        for p in signature.parameters.values()
    ]

    async def list_users(**kwargs: Any) -> Any:
        return await original(**kwargs)

    list_users.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    opened = APIRoute(
        old.path, list_users, methods=["GET"], response_model=old.response_model, name=old.name
    )
    _replace(app, "GET", old.path, opened)


class StripHeaders:
    """ASGI middleware: drops `STRIPPED` headers from the answers to matching requests."""

    def __init__(self, app: ASGIApp, stripped: tuple[tuple[str, str, str], ...]) -> None:
        self.app = app
        self.stripped = [(m, re.compile(p), h.encode()) for m, p, h in stripped]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        drop = {
            header
            for method, pattern, header in self.stripped
            if scope["method"] == method and pattern.fullmatch(scope["path"])
        }

        async def send_stripped(message: Message) -> None:
            if message["type"] == "http.response.start" and drop:
                headers = message.get("headers", [])
                message["headers"] = [(n, v) for n, v in headers if n.lower() not in drop]
            await send(message)

        await self.app(scope, receive, send_stripped)


def planted_app() -> ASGIApp:
    application = create_app()
    widen_list_default(application)
    open_list_users(application)
    return StripHeaders(application, STRIPPED)


app = planted_app()
