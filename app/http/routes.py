"""The app's effective routes, flattened across included routers."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts


def iter_routes(app: FastAPI) -> Iterator[RouteContext]:
    yield from iter_route_contexts(app.routes)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route accepts on `path` (Starlette's own 405 names only one route's)."""
    methods: set[str] = set()
    for route in iter_routes(app):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= route.methods or set()
    return sorted(methods)
