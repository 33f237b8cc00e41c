"""The plumbing every pure-ASGI middleware here shares."""

from starlette.types import ASGIApp, Receive, Scope, Send


class HTTPMiddleware:
    """A pure ASGI middleware that acts on HTTP requests only; other scopes pass through.

    Pure ASGI rather than Starlette's BaseHTTPMiddleware: no extra task per request and no
    buffering of streamed bodies.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
