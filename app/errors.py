"""Every error the API answers with, as RFC 9457 problem+json.

Services raise `AppError` subclasses; the handlers registered by `install_error_handlers` turn
them, framework errors and unexpected exceptions into one problem shape.
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from app.contract import FieldError, Problem
from app.http.request_id import current_request_id
from app.http.routes import allowed_methods

logger = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"
URI_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class AppError(Exception):
    """A failure the client can act on. Subclasses fix the status; `detail` says what happened."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    # Some failures must persist what the request did before failing (reuse detection revokes
    # a token chain, then answers 401); the session dependency commits instead of rolling back.
    keep_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.errors = list(errors)


class BadRequest(AppError):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(AppError):
    status = HTTPStatus.UNAUTHORIZED

    def __init__(self, detail: str = "The credentials are missing, invalid or expired.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = HTTPStatus.FORBIDDEN


class NotFound(AppError):
    status = HTTPStatus.NOT_FOUND


class Conflict(AppError):
    status = HTTPStatus.CONFLICT


class PreconditionFailed(AppError):
    status = HTTPStatus.PRECONDITION_FAILED


class PreconditionRequired(AppError):
    status = HTTPStatus.PRECONDITION_REQUIRED


class PayloadTooLarge(AppError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class TooManyRequests(AppError):
    status = HTTPStatus.TOO_MANY_REQUESTS


class ServiceUnavailable(AppError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


class InvalidField(AppError):
    """A rule the schema cannot express (password equals email): 422 naming the field."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, location: str, message: str) -> None:
        super().__init__(
            "The request has 1 invalid field.",
            errors=[FieldError(location=location, message=message)],
        )


def problem_response(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    errors: Sequence[FieldError] = (),
) -> JSONResponse:
    request_id = current_request_id() or ""
    problem = Problem(
        type="about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        # Percent-encoded, as the client sent it: the decoded path may not be a URI reference.
        instance=quote(request.url.path, safe=URI_PATH_SAFE),
        request_id=request_id,
    )
    if detail:
        problem.detail = detail
    if errors:
        problem.errors = list(errors)
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    return [
        FieldError(location=_location(error["loc"])[:500], message=str(error["msg"])[:1000])
        for error in exc.errors()[:100]
    ]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(request, exc.status, exc.detail, headers=exc.headers, errors=exc.errors)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    plural = "field" if len(errors) == 1 else "fields"
    detail = f"The request has {len(errors)} invalid {plural}."
    return problem_response(request, 422, detail, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers: dict[str, Any] = dict(exc.headers or {})
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        detail = f"{request.method} is not allowed here."
    elif exc.status_code == HTTPStatus.NOT_FOUND and detail is None:
        detail = "No such resource."
    return problem_response(request, exc.status_code, detail, headers=headers)


def unexpected_error(scope: Scope) -> JSONResponse:
    """The answer to an exception no handler knows: a 500 problem without internals; the
    traceback goes to the log under the request id the problem names."""
    report_unexpected(scope)
    detail = "An unexpected error occurred; quote the request id."
    return problem_response(Request(scope), 500, detail)


def report_unexpected(scope: Scope) -> None:
    logger.exception("unhandled error", extra={"fields": {"path": scope["path"]}})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
