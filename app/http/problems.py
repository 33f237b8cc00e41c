"""RFC 9457 problem+json answers: for `AppError`s, framework errors, database faults and
anything unexpected, in one shape.

Database faults are answered here and nowhere else: whichever path met them (a session, the
read pool, a rate limit, idempotency), `app.db.faults.classify` decides between 503 with
`Retry-After` (the database is away or saturated), 409 (a concurrent change won) and a 500.
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from app.contract import FieldError, Problem
from app.db.faults import Fault, RecoveryConflict, classify
from app.errors import AppError, Conflict, ServiceUnavailable
from app.http import problem_types
from app.http.echo import MAX_DETAIL, MAX_LOCATION, MAX_MESSAGE, echoed, instance
from app.http.request_id import current_request_id
from app.http.routes import allowed_methods

logger = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"
# The exception types a database fault surfaces as, on any path; `classify` sorts them out.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
    RecoveryConflict,
)
CONCURRENT_CHANGE = "The request conflicts with a concurrent change; retry it."
AT_CAPACITY = "The server is at capacity; retry shortly."
UNEXPECTED = "An unexpected error occurred; quote the request id."
# The last resort, built once: sent when even the 500 problem cannot be built. The request id
# still reaches the client in the X-Request-ID header.
_FALLBACK_500 = (
    Problem(
        type=problem_types.uri_for(500),
        title="Internal Server Error",
        status=500,
        detail=UNEXPECTED,
    )
    .model_dump_json()
    .encode()
)


def problem_response(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    errors: Sequence[FieldError] = (),
    problem_type: str | None = None,
) -> JSONResponse:
    """A problem answer; its type is the status's own (app.http.problem_types) unless a more
    specific one is given."""
    request_id = current_request_id() or ""
    uri = problem_type or problem_types.uri_for(status)
    known = problem_types.BY_SLUG.get(uri.removeprefix(problem_types.PREFIX))
    problem = Problem(
        type=uri,
        title=known.title if known else HTTPStatus(status).phrase,
        status=status,
        # The scope's path, not `request.url`: that one is parsed with the Host header, which
        # the client chose too.
        instance=instance(request.scope["path"]),
        request_id=request_id,
    )
    if detail:
        problem.detail = echoed(detail, MAX_DETAIL)
    if errors:
        problem.errors = list(errors)
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _malformed_json(exc: RequestValidationError) -> str | None:
    """What is wrong with a body that is not JSON at all, where: a 400, not a field error
    (FastAPI locates it at `body.<character offset>`, which names no field)."""
    error = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if error is None:
        return None
    position = error["loc"][-1] if len(error["loc"]) > 1 else None
    reason = echoed(str(error.get("ctx", {}).get("error", "malformed")), MAX_MESSAGE)
    if not isinstance(position, int) or not isinstance(exc.body, str):
        return f"The body is not valid JSON: {reason}."
    line = exc.body.count("\n", 0, position) + 1
    column = position - exc.body.rfind("\n", 0, position)
    return f"The body is not valid JSON: {reason} at line {line}, column {column}."


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    # Locations name what the client sent (a JSON property name may hold a NUL): echoed safely.
    return [
        FieldError(
            location=echoed(_location(error["loc"]), MAX_LOCATION),
            message=echoed(str(error["msg"]), MAX_MESSAGE),
        )
        for error in exc.errors()[:100]
    ]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        exc.status,
        exc.detail,
        headers=exc.headers,
        errors=exc.errors,
        problem_type=exc.type,
    )


def fault_error(exc: BaseException) -> AppError | None:
    """The answer to a database fault, or None for an error that is a bug."""
    fault = classify(exc)
    if fault is Fault.UNAVAILABLE:
        return ServiceUnavailable()
    if fault is Fault.SATURATED:
        return ServiceUnavailable(AT_CAPACITY)
    if fault is Fault.CONFLICT:
        return Conflict(CONCURRENT_CHANGE)
    return None


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    answer = fault_error(exc)
    if answer is None:
        raise exc  # a bug: the envelope logs it and answers a plain 500 problem
    logger.warning("database fault: %r", exc, extra={"fields": {"path": request.scope["path"]}})
    return await _app_error(request, answer)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if (unreadable := _malformed_json(exc)) is not None:
        return problem_response(request, 400, unreadable)
    errors = _field_errors(exc)
    plural = "field" if len(errors) == 1 else "fields"
    detail = f"The request has {len(errors)} invalid {plural}."
    return problem_response(request, 422, detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers: dict[str, Any] = dict(exc.headers or {})
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope["path"]))
        detail = f"{request.method} is not allowed here."
    elif exc.status_code == HTTPStatus.NOT_FOUND and detail is None:
        detail = "No such resource."
    return problem_response(request, exc.status_code, detail, headers=headers)


def unexpected_error(scope: Scope, exc: BaseException) -> Response:
    """The answer to an exception no handler took: a database fault raised outside the
    handlers' reach (a dependency's teardown) is still a 503; anything else is a 500 problem
    without internals, its traceback logged under the request id the problem names.

    It cannot fail: if building the answer raises, the answer is a fixed 500 problem."""
    try:
        return _unexpected_error(scope, exc)
    except Exception:
        report_unexpected(scope)
        return Response(_FALLBACK_500, status_code=500, media_type=PROBLEM_JSON)


def _unexpected_error(scope: Scope, exc: BaseException) -> Response:
    request = Request(scope)
    if (answer := fault_error(exc)) is not None:
        return problem_response(request, answer.status, answer.detail, headers=answer.headers)
    report_unexpected(scope)
    return problem_response(request, 500, UNEXPECTED)


def report_unexpected(scope: Scope) -> None:
    logger.exception("unhandled error", extra={"fields": {"path": scope["path"]}})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    for error_type in DATABASE_ERRORS:
        app.add_exception_handler(error_type, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
