"""The problem types the API answers with (RFC 9457 `type`), one per kind of refusal.

A program matches on `type`, never on the English `detail`. Types are relative URIs
(`/problems/rate-limited`): resolved against the API's own address they name a short page this
server serves (app.http.problem_pages), and the spec lists every one in `Problem.type`'s enum
(tests/test_problem_types.py holds the two together), so the TypeScript client sees them as a
union it can switch over exhaustively.
"""

from dataclasses import dataclass
from http import HTTPStatus

PREFIX = "/problems/"


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    status: HTTPStatus
    title: str
    explanation: str  # what the page says: what happened and what a client should do

    @property
    def uri(self) -> str:
        return f"{PREFIX}{self.slug}"


TYPES = (
    ProblemType(
        "bad-request",
        HTTPStatus.BAD_REQUEST,
        "Bad Request",
        "The request could not be read: malformed JSON (the detail names the line and column),"
        " text that is not UTF-8, or a value the server issued itself that came back altered,"
        " such as a page cursor. Fix the request; sending it again unchanged will not help.",
    ),
    ProblemType(
        "invalid-token",
        HTTPStatus.BAD_REQUEST,
        "Invalid Token",
        "The token of a mailed link (email verification or password reset) is unknown, was"
        " already used, or expired. Ask for a new link.",
    ),
    ProblemType(
        "unauthorized",
        HTTPStatus.UNAUTHORIZED,
        "Unauthorized",
        "The access token is missing, invalid, expired or revoked, or the credentials are"
        " wrong. Refresh the token, or sign in again.",
    ),
    ProblemType(
        "forbidden",
        HTTPStatus.FORBIDDEN,
        "Forbidden",
        "The caller is known but may not do this (another user's post, an admin operation, a"
        " wrong current password).",
    ),
    ProblemType(
        "email-not-verified",
        HTTPStatus.FORBIDDEN,
        "Email Not Verified",
        "Publishing and commenting need a verified email. Follow the link mailed at"
        " registration, or ask for a new one (resendVerification).",
    ),
    ProblemType(
        "not-found",
        HTTPStatus.NOT_FOUND,
        "Not Found",
        "The resource does not exist, or the caller may not see it.",
    ),
    ProblemType(
        "method-not-allowed",
        HTTPStatus.METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "The path exists but not with this method; the Allow header lists the methods it has.",
    ),
    ProblemType(
        "conflict",
        HTTPStatus.CONFLICT,
        "Conflict",
        "The request conflicts with the resource's state (a post already published, the last"
        " admin) or with a concurrent change. Read the resource again before retrying.",
    ),
    ProblemType(
        "precondition-failed",
        HTTPStatus.PRECONDITION_FAILED,
        "Precondition Failed",
        "The If-Match ETag is stale: someone changed the resource since it was read. Read it"
        " again, reapply the change, and send the new ETag.",
    ),
    ProblemType(
        "payload-too-large",
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "Content Too Large",
        "The request body is larger than the server accepts (MAX_BODY_BYTES).",
    ),
    ProblemType(
        "uri-too-long",
        HTTPStatus.REQUEST_URI_TOO_LONG,
        "URI Too Long",
        "The request's path and query are longer than the server reads (8 KiB).",
    ),
    ProblemType(
        "unsupported-media-type",
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "Unsupported Media Type",
        "The body is not in the media type the operation takes; the detail names it"
        " (application/json, or a form for the token endpoint).",
    ),
    ProblemType(
        "validation",
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "Unprocessable Entity",
        "The request does not satisfy the contract: `errors[]` names each offending field by"
        " its location (`body.title`, `query.limit`) with a message.",
    ),
    ProblemType(
        "precondition-required",
        HTTPStatus.PRECONDITION_REQUIRED,
        "Precondition Required",
        "The operation changes a resource that others may change too: send the ETag you read"
        " in If-Match.",
    ),
    ProblemType(
        "rate-limited",
        HTTPStatus.TOO_MANY_REQUESTS,
        "Too Many Requests",
        "A rate limit was reached. Wait Retry-After seconds; the RateLimit headers say how"
        " much is left on every answer.",
    ),
    ProblemType(
        "internal-error",
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "Something failed on the server. Nothing was half-written; quote the request id when"
        " reporting it.",
    ),
    ProblemType(
        "unavailable",
        HTTPStatus.SERVICE_UNAVAILABLE,
        "Service Unavailable",
        "The database is away or the server is at capacity. Retry after Retry-After seconds.",
    ),
)
BY_SLUG = {problem.slug: problem for problem in TYPES}
# The type of an answer that only says its status: the first type listed for the status.
BY_STATUS: dict[int, ProblemType] = {}
for _problem in TYPES:
    BY_STATUS.setdefault(_problem.status, _problem)
# A status the table does not list (none is expected) still gets a valid problem.
FALLBACK = "about:blank"


def uri_for(status: int) -> str:
    problem = BY_STATUS.get(status)
    return problem.uri if problem else FALLBACK
