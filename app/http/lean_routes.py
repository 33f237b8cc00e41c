"""GET routes without FastAPI's per-request solving, for the most requested public reads.

An APIRoute costs about 80 µs of CPU per request here (FastAPI 0.165: exit stacks, dependency
and parameter solving), and each query parameter about 10 µs more: together more than the
database read the route serves (interleaved A/B on the `nox -s bench` setup). A `LeanRoute` is
a Starlette route in the same app, with the same contract:

- path parameters are typed by the path's convertors (`{post_id:uuid}`: anything else is 404);
- query parameters are validated in one pass by a pydantic model (`query`), and a failure is
  FastAPI's `RequestValidationError`, so it answers the same 422 problem;
- errors raised by the endpoint meet the app's exception handlers like any other route's;
- route conformance (contracts_tests) reads the model's fields as the query parameters.

The endpoint receives the request and the validated query, and returns a Response.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Query = TypeVar("Query", bound=BaseModel)


class NoQuery(BaseModel):
    """For an operation without query parameters: any sent are ignored, as FastAPI does."""


class LeanRoute(Route, Generic[Query]):
    def __init__(
        self,
        path: str,
        endpoint: Callable[[Request, Query], Awaitable[Response]],
        query: type[Query],
    ) -> None:
        self.query_model = query

        async def serve(request: Request) -> Response:
            return await endpoint(request, self.parse_query(request))

        super().__init__(path, serve, methods=["GET"], name=endpoint.__name__)
        self.methods = {"GET"}  # Starlette adds HEAD; the spec has no HEAD operations

    def parse_query(self, request: Request) -> Query:
        try:
            return self.query_model.model_validate(dict(request.query_params))
        except ValidationError as error:
            raise RequestValidationError(
                [{**problem, "loc": ("query", *problem["loc"])} for problem in error.errors()]
            ) from None


def lean_get(
    routes: list[Any], path: str, query: type[Query]
) -> Callable[[Callable[[Request, Query], Awaitable[Response]]], Callable[..., Any]]:
    """Decorator: serve the function as `GET path` through a `LeanRoute` added to `routes`."""

    def register(
        endpoint: Callable[[Request, Query], Awaitable[Response]],
    ) -> Callable[[Request, Query], Awaitable[Response]]:
        routes.append(LeanRoute(path, endpoint, query))
        return endpoint

    return register
