"""Routes without FastAPI's per-request solving, for the most requested operations.

An APIRoute costs about 80 µs of CPU per request here (FastAPI 0.165: exit stacks, dependency
and parameter solving), and each query parameter about 10 µs more: together more than the
database read the route serves (interleaved A/B on the `nox -s bench` setup), and a fifth of a
create's server time (py-spy under `nox -s bench`). A `LeanRoute` is a Starlette route in the
same app, with the same contract:

- path parameters are typed by the path's convertors (`{post_id:uuid}`: anything else is 404);
- query parameters are validated in one pass by a pydantic model (`query`), and a failure is
  FastAPI's `RequestValidationError`, so it answers the same 422 problem;
- a JSON body (`lean_post`) is parsed and validated by its contract model the way FastAPI does
  (a body that is not `application/json` or `+json` is refused by the model), and its errors
  are located under `body`; malformed JSON is reported as FastAPI reports it, which
  app.http.problems answers with a 400 naming the line and column;
- errors raised by the endpoint meet the app's exception handlers like any other route's;
- route conformance (contracts_tests) reads the model's fields as the query parameters, and
  `status_code` as the success status.

The endpoint receives the request and the validated query (GET), or the request, the caller and
the validated body (POST), and returns a Response; headers it reads it validates itself.
"""

import email.message
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Model = TypeVar("Model", bound=BaseModel)
Caller = TypeVar("Caller")
Endpoint = Callable[[Request, Model], Awaitable[Response]]
BodyEndpoint = Callable[[Request, Caller, Model], Awaitable[Response]]


class NoQuery(BaseModel):
    """For an operation without query parameters: any sent are ignored, as FastAPI does."""


class LeanRoute(Route):
    def __init__(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response]],
        *,
        name: str,
        method: str,
        query: type[BaseModel] = NoQuery,
        status_code: int = 200,
    ) -> None:
        self.query_model = query
        self.status_code = status_code
        super().__init__(path, endpoint, methods=[method], name=name)
        self.methods = {method}  # Starlette adds HEAD to GET; the spec has no HEAD operations


def validation_error(location: str, error: ValidationError) -> RequestValidationError:
    """FastAPI's 422 for a model's `error`, located under `location` (query, body, header)."""
    return RequestValidationError(
        [{**problem, "loc": (location, *problem["loc"])} for problem in error.errors()]
    )


def _query(request: Request, model: type[Model]) -> Model:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as error:
        raise validation_error("query", error) from None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def _json(request: Request) -> Any:
    """The request's body as FastAPI reads it before solving dependencies: parsed when it is
    JSON, bytes when it is something else (which the model then refuses), None when empty."""
    raw = await request.body()
    if not raw or not _is_json(request.headers.get("content-type")):
        return raw or None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:  # as FastAPI reports it (app.http.problems: a 400)
        problem = {"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error"}
        raise RequestValidationError(
            [{**problem, "input": {}, "ctx": {"error": error.msg}}], body=error.doc
        ) from None
    except ValueError:  # bytes that are not UTF-8, -16 or -32 text
        problem = {"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}
        raise RequestValidationError(
            [{**problem, "input": {}, "ctx": {"error": "the body is not UTF-8 text"}}]
        ) from None


def _validated(data: Any, model: type[Model]) -> Model:
    if data is None:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_error("body", error) from None


def lean_get(
    routes: list[Any], path: str, query: type[Model]
) -> Callable[[Endpoint[Model]], Endpoint[Model]]:
    """Decorator: serve the function as `GET path` through a `LeanRoute` added to `routes`."""

    def register(endpoint: Endpoint[Model]) -> Endpoint[Model]:
        async def serve(request: Request) -> Response:
            return await endpoint(request, _query(request, query))

        routes.append(LeanRoute(path, serve, name=endpoint.__name__, method="GET", query=query))
        return endpoint

    return register


def lean_post(
    routes: list[Any],
    path: str,
    body: type[Model],
    status_code: int,
    caller: Callable[[Request], Awaitable[Caller]],
) -> Callable[[BodyEndpoint[Caller, Model]], BodyEndpoint[Caller, Model]]:
    """Decorator: serve the function as `POST path` (JSON `body`, success `status_code`)
    through a `LeanRoute` added to `routes`. In FastAPI's order: malformed JSON is refused
    first, then `caller` (authentication, which may refuse), then the body's validation."""

    def register(endpoint: BodyEndpoint[Caller, Model]) -> BodyEndpoint[Caller, Model]:
        async def serve(request: Request) -> Response:
            data = await _json(request)
            who = await caller(request)
            return await endpoint(request, who, _validated(data, body))

        name = endpoint.__name__
        routes.append(LeanRoute(path, serve, name=name, method="POST", status_code=status_code))
        return endpoint

    return register
