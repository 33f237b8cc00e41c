"""The app's effective routes, flattened across included routers."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts


def iter_routes(app: FastAPI) -> Iterator[RouteContext]:
    yield from iter_route_contexts(app.routes)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods of the resource at `path` (Starlette's own 405 names only one route's).

    When several templates match (`/users/me` and `/users/{user_id}`), the resource is the
    most specific one: the template with the fewest parameters.
    """
    by_template: dict[str, set[str]] = {}
    for route in iter_routes(app):
        regex = getattr(route, "path_regex", None)
        if route.path is not None and regex is not None and regex.match(path):
            by_template.setdefault(route.path, set()).update(route.methods or ())
    if not by_template:
        return []
    resource = min(by_template, key=lambda template: template.count("{"))
    return sorted(by_template[resource])
