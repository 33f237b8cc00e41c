"""Every failure a client can act on, as classes services raise.

`app.http.problems` turns them (and framework errors, database faults and unexpected
exceptions) into RFC 9457 problem+json; this module knows nothing of HTTP beyond the status.
"""

from collections.abc import Sequence
from http import HTTPStatus
from typing import ClassVar

from app.contract import FieldError


class AppError(Exception):
    """A failure the client can act on. Subclasses fix the status; `detail` says what happened."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    # The problem type a program matches on (RFC 9457), when more specific than the status's
    # own (app.http.problem_types lists them all).
    type: ClassVar[str | None] = None

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


class InvalidToken(BadRequest):
    """A mailed link's token that is unknown, expired or used."""

    type = "/problems/invalid-token"


class Unauthorized(AppError):
    status = HTTPStatus.UNAUTHORIZED

    def __init__(self, detail: str = "The credentials are missing, invalid or expired.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = HTTPStatus.FORBIDDEN


class EmailNotVerified(Forbidden):
    """Publishing and commenting need a verified email."""

    type = "/problems/email-not-verified"


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


RETRY_AFTER_SECONDS = 1


class ServiceUnavailable(AppError):
    """Something the API depends on is away or saturated; the answer says when to retry."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, detail: str = "The database does not answer; retry shortly.") -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class InvalidField(AppError):
    """A rule the schema cannot express (password equals email): 422 naming the field."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, location: str, message: str) -> None:
        super().__init__(
            "The request has 1 invalid field.",
            errors=[FieldError(location=location, message=message)],
        )
