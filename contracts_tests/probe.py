"""Live conformance: a scripted walk through every operation against a running server.

Schemathesis sees what random requests provoke; this walk provokes on purpose what random
requests rarely reach (a success of every operation, 304, 409, 412, 428, a tampered cursor),
and checks each answer against the spec:

- its status is one the operation documents, and the one the step expects;
- every header the spec marks `required: true` for that (operation, status) is present, and a
  `Cache-Control` documented as `no-store` is `no-store`;
- who may call it: every operation that is not public answers 401 without a token, and every
  `x-required-role: admin` operation answers an ordinary user 403.

Every answer is recorded for the contract coverage report (contracts_tests.coverage).
`walk(base_url, database_url, spec)` returns the problems found, in plain sentences.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.auth.account_links import Purpose
from contracts_tests.accounts import PASSWORD, access_token, create_account, link_token
from contracts_tests.conformance import PUBLIC, spec_security
from contracts_tests.coverage import METHODS, record, resolve

SOURCE = "conformance"
HUGE = b" " * (1024 * 1024 + 1)  # over MAX_BODY_BYTES' default
JSON, TEXT = {"Content-Type": "application/json"}, {"Content-Type": "text/plain"}


@dataclass
class Walk:
    """An HTTP client that checks and records every answer against the spec."""

    http: httpx.Client
    spec: Mapping[str, Any]
    source: str | None = SOURCE  # None: answers are not recorded for the coverage report
    problems: list[str] = field(default_factory=list)
    operations: dict[str, tuple[str, str, Mapping[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for path, item in self.spec["paths"].items():
            for method in METHODS:
                if method in item:
                    operation = item[method]
                    self.operations[operation["operationId"]] = (method, path, operation)

    def call(
        self,
        operation_id: str,
        expect: int,
        *,
        token: str | None = None,
        path: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call the operation (`path` fills its path template; the rest goes to httpx)."""
        method, template, operation = self.operations[operation_id]
        url = template.removeprefix("/api/v1").format(**(path or {}))
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        answer = self.http.request(method.upper(), url, headers=headers, **kwargs)
        if self.source:
            record(self.source, operation_id, answer.status_code, answer.headers.keys())
        self._check(operation_id, operation, expect, answer)
        return answer

    def _check(
        self, operation_id: str, operation: Mapping[str, Any], expect: int, answer: httpx.Response
    ) -> None:
        where = f"{operation_id} {answer.status_code}"
        status = str(answer.status_code)
        if answer.status_code != expect:
            self.problems.append(f"{operation_id}: answered {status}, expected {expect}")
        if status not in operation["responses"]:
            self.problems.append(f"{where}: status not documented")
            return
        response = resolve(self.spec, operation["responses"][status])
        for name, header in response.get("headers", {}).items():
            header = resolve(self.spec, header)
            value = answer.headers.get(name)
            if header.get("required") and value is None:
                self.problems.append(f"{where}: required header {name} missing")
            allowed = header.get("schema", {}).get("enum")
            if value is not None and allowed and value not in allowed:
                self.problems.append(f"{where}: header {name} is {value!r}, not one of {allowed}")


def _check_security(walk: Walk, user_token: str) -> None:
    """401 without a token wherever one is required; 403 for a user on admin operations."""
    some_id = str(uuid.uuid4())
    for operation_id, (_, template, operation) in walk.operations.items():
        names = [part.split("}")[0] for part in template.split("{")[1:]]
        path = dict.fromkeys(names, some_id)
        security = spec_security(dict(walk.spec), dict(operation))
        if security != PUBLIC:
            walk.call(operation_id, 401, path=path, json={})
        if operation.get("x-required-role") == "admin":
            walk.call(operation_id, 403, token=user_token, path=path, json={})


def walk(
    base_url: str, database_url: str, spec: Mapping[str, Any], source: str | None = SOURCE
) -> list[str]:
    """Walk every operation on the server at `base_url`; the problems found. Answers are
    recorded for the coverage report as `source` (None: not recorded). The server's only
    admin is the walk's, so protecting the last active admin is exercised too."""
    tag = uuid.uuid4().hex[:8]
    emails = {who: f"{who}-{tag}@example.com" for who in ("admin", "user", "other", "unverified")}
    ids = {
        "admin": create_account(database_url, emails["admin"], "Walk Admin", role="admin"),
        "user": create_account(database_url, emails["user"], "Walk User"),
        "other": create_account(database_url, emails["other"], "Walk Other"),
        "unverified": create_account(database_url, emails["unverified"], "New", verified=False),
        "doomed": create_account(database_url, f"doomed-{tag}@example.com", "Doomed"),
    }
    tokens = {who: access_token(base_url, email) for who, email in emails.items()}
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as http:
        w = Walk(http, spec, source)
        _check_security(w, tokens["user"])
        _health_and_accounts(w, emails["user"], tag)
        _links(w, database_url, ids)
        _users(w, tokens, ids)
        _posts(w, tokens, ids["user"])
        _password(w, tokens["user"])
    return w.problems


def _health_and_accounts(w: Walk, user_email: str, tag: str) -> None:
    w.call("getLiveness", 200)
    w.call("getReadiness", 200)
    account = {"email": f"new-{tag}@example.com", "password": "long enough", "display_name": "N"}
    w.call("registerUser", 202, json=account)
    w.call("registerUser", 422, json={**account, "password": "short"})
    w.call("registerUser", 400, content=b"{", headers=JSON)
    w.call("registerUser", 415, content=b"x", headers=TEXT)
    form = {"username": user_email, "password": PASSWORD}
    pair = w.call("issueToken", 200, data=form).json()
    w.call("issueToken", 401, data={**form, "password": "wrong password"})
    w.call("issueToken", 422, data={"username": user_email})
    w.call("issueToken", 415, content=b"{}", headers=JSON)
    pair = w.call("refreshToken", 200, json={"refresh_token": pair["refresh_token"]}).json()
    w.call("refreshToken", 401, json={"refresh_token": "not-a-token"})
    w.call("refreshToken", 400, content=b"{", headers=JSON)
    w.call("logout", 204, json={"refresh_token": pair["refresh_token"]})
    w.call("logout", 400, content=b"{", headers=JSON)
    w.call("requestPasswordReset", 202, json={"email": user_email})
    w.call("requestPasswordReset", 400, content=b"{", headers=JSON)


def _links(w: Walk, database_url: str, ids: Mapping[str, str]) -> None:
    """The mailed links' operations, with tokens issued as the mail would carry them."""
    w.call("resetPassword", 400, json={"token": "unknown", "new_password": "long enough"})
    w.call("verifyEmail", 400, json={"token": "unknown"})
    reset = link_token(database_url, ids["doomed"], Purpose.password_reset)
    w.call("resetPassword", 204, json={"token": reset, "new_password": "long enough"})
    w.call("resetPassword", 400, json={"token": reset, "new_password": "long enough"})
    verification = link_token(database_url, ids["doomed"], Purpose.email_verification)
    w.call("verifyEmail", 204, json={"token": verification})


def _users(w: Walk, tokens: Mapping[str, str], ids: Mapping[str, str]) -> None:
    admin, user = tokens["admin"], tokens["user"]
    member = {"user_id": ids["user"]}
    w.call("listUsers", 200, token=admin)
    w.call("listUsers", 400, token=admin, params={"cursor": "tampered"})
    w.call("listUsers", 422, token=admin, params={"limit": "0"})
    w.call("getCurrentUser", 200, token=user)
    w.call("updateCurrentUser", 200, token=user, json={"display_name": "Walk User"})
    w.call("updateCurrentUser", 400, token=user, content=b"{", headers=JSON)
    wrong = {"current_password": "not the password", "new_password": "long enough"}
    w.call("changePassword", 403, token=user, json=wrong)
    w.call("changePassword", 400, token=user, content=b"{", headers=JSON)
    w.call("resendVerification", 409, token=user)
    w.call("resendVerification", 202, token=tokens["unverified"])
    w.call("getUser", 200, token=user, path=member)
    w.call("getUser", 404, token=user, path={"user_id": str(uuid.uuid4())})
    w.call("updateUser", 200, token=admin, path=member, json={"is_active": True})
    w.call("updateUser", 400, token=admin, path=member, content=b"{", headers=JSON)
    last_admin = {"user_id": ids["admin"]}
    w.call("updateUser", 409, token=admin, path=last_admin, json={"role": "user"})
    w.call("sendPasswordReset", 202, token=admin, path=member)
    w.call("deleteUser", 409, token=admin, path=last_admin)
    w.call("deleteUser", 204, token=admin, path={"user_id": ids["doomed"]})


def _posts(w: Walk, tokens: Mapping[str, str], user_id: str) -> None:
    user, other = tokens["user"], tokens["other"]
    draft = {"title": "Walked", "body": "A post of the conformance walk.", "tags": ["walk"]}
    created = w.call("createPost", 201, token=user, json=draft)
    w.call("createPost", 422, token=user, json={**draft, "title": "x" * 201})
    w.call("createPost", 400, token=user, content=b"{", headers=JSON)
    w.call("createPost", 415, token=user, content=b"x", headers=TEXT)
    w.call("createPost", 413, token=user, content=HUGE, headers=JSON)
    post = {"post_id": created.json()["id"]}
    etag = w.call("getPost", 200, token=user, path=post).headers.get("ETag", "")
    w.call("getPost", 304, token=user, path=post, headers={"If-None-Match": etag})
    w.call("getPost", 404, path={"post_id": str(uuid.uuid4())})
    w.call("getPost", 422, path=post, headers={"If-None-Match": "x" * 201})
    w.call("getPost", 401, token="not-a-token", path=post)
    change = {"title": "Walked again"}
    matching = {"If-Match": etag}
    w.call("updatePost", 428, token=user, path=post, json=change)
    w.call("updatePost", 412, token=user, path=post, json=change, headers={"If-Match": '"stale"'})
    w.call("updatePost", 422, token=user, path=post, json={"title": ""}, headers=matching)
    w.call("updatePost", 400, token=user, path=post, content=b"{", headers=matching | JSON)
    w.call("updatePost", 415, token=user, path=post, content=b"x", headers=matching | TEXT)
    w.call("updatePost", 413, token=user, path=post, content=HUGE, headers=matching | JSON)
    updated = w.call("updatePost", 200, token=user, path=post, json=change, headers=matching)
    etag = updated.headers.get("ETag", "")
    w.call("publishPost", 200, token=user, path=post)
    w.call("publishPost", 409, token=user, path=post)
    w.call("unpublishPost", 200, token=user, path=post)
    w.call("unpublishPost", 409, token=user, path=post)
    etag = w.call("publishPost", 200, token=user, path=post).headers.get("ETag", "")
    # Someone else's published post: visible, not theirs to change.
    w.call("updatePost", 403, token=other, path=post, json=change, headers={"If-Match": etag})
    w.call("deletePost", 403, token=other, path=post, headers={"If-Match": etag})
    w.call("publishPost", 403, token=other, path=post)
    w.call("unpublishPost", 403, token=other, path=post)
    _lists(w, other, user_id, post)
    _comments(w, tokens, post)
    w.call("deletePost", 428, token=user, path=post)
    w.call("deletePost", 204, token=user, path=post, headers={"If-Match": etag})


def _lists(w: Walk, other: str, user_id: str, post: Mapping[str, str]) -> None:
    author = {"user_id": user_id}
    w.call("listPosts", 200)
    w.call("listPosts", 400, params={"cursor": "tampered"})
    w.call("listPosts", 422, params={"limit": "0"})
    w.call("listPosts", 401, token="not-a-token")
    w.call("listUserPosts", 200, path=author)
    w.call("listUserPosts", 400, path=author, params={"cursor": "tampered"})
    w.call("listUserPosts", 422, path=author, params={"limit": "0"})
    w.call("listUserPosts", 401, token="not-a-token", path=author)
    w.call("listUserPosts", 403, token=other, path=author, params={"status": "draft"})
    w.call("listComments", 401, token="not-a-token", path=post)


def _comments(w: Walk, tokens: Mapping[str, str], post: Mapping[str, str]) -> None:
    user = tokens["user"]
    comment = w.call("createComment", 201, token=user, path=post, json={"body": "Walked by."})
    w.call("createComment", 400, token=user, path=post, content=b"{", headers=JSON)
    w.call("createComment", 413, token=user, path=post, content=HUGE, headers=JSON)
    w.call("createComment", 403, token=tokens["unverified"], path=post, json={"body": "Hi."})
    w.call("listComments", 200, path=post)
    w.call("listComments", 400, path=post, params={"cursor": "tampered"})
    w.call("listComments", 422, path=post, params={"limit": "0"})
    comment_path = {**post, "comment_id": comment.json().get("id", str(uuid.uuid4()))}
    w.call("deleteComment", 403, token=tokens["other"], path=comment_path)
    w.call("deleteComment", 204, token=user, path=comment_path)
    w.call("deleteComment", 404, token=user, path=comment_path)


def _password(w: Walk, user: str) -> None:
    """Last: a changed password ends the user's sessions."""
    change = {"current_password": PASSWORD, "new_password": "a new passphrase"}
    w.call("changePassword", 204, token=user, json=change)
