"""What the OWASP modules share: the contract read as an attacker's map, one valid request per
operation, and small probes (password checks counted, problems compared, source imports)."""

import ast
import asyncio
import re
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from app.spec import load_spec
from tests.helpers import (
    PASSWORD,
    admin_with_tokens,
    bearer,
    create_comment,
    create_post,
    link_token,
    login,
    mails_to,
    register,
    unique_email,
    user_with_tokens,
)

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "delete", "patch")
ME = "/api/v1/users/me"
TOKEN = "/api/v1/auth/token"
# The constant app/config.py signed with before issue 11: published in the repository's history.
DEVELOPMENT_KEY = "development-only-secret-change-me-0123456789"


# --- the contract ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def requires_credentials(self) -> bool:
        """The spec's default (`bearerAuth`) applies unless the operation lists `security`
        itself; a requirement of `{}` among its alternatives makes credentials optional."""
        security = self.spec.get("security", load_spec()["security"])
        return bool(security) and {} not in security

    @property
    def for_admins(self) -> bool:
        return "(admin)" in self.spec["summary"]

    def parameters(self) -> list[dict[str, Any]]:
        spec = load_spec()
        shared = spec["paths"][self.path].get("parameters", [])
        return [resolve(p) for p in [*shared, *self.spec.get("parameters", [])]]

    def json_body_schema(self) -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        return resolve(content["application/json"]["schema"])


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` followed to what it names (repeatedly); anything else as it is."""
    spec = load_spec()
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations() -> list[Operation]:
    return [
        Operation(item[method]["operationId"], method.upper(), path, item[method])
        for path, item in load_spec()["paths"].items()
        for method in METHODS
        if method in item
    ]


def operation(operation_id: str) -> Operation:
    return next(op for op in operations() if op.operation_id == operation_id)


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every mapping inside `node` (the spec or part of it), depth first, `$ref`s not followed."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


# --- one valid request per operation ---------------------------------------------------------


@dataclass
class Call:
    """A request the server would grant: the probes change one thing about it."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None

    async def send(
        self,
        client: httpx.AsyncClient,
        *,
        headers: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        return await client.request(
            self.method,
            self.path,
            headers=self.headers if headers is None else headers,
            json=self.json if json is None else json,
            data=self.form,
            params=params,
        )


@dataclass(frozen=True)
class _Shape:
    """How to ask for one operation: with whose credentials, on which of the scene's objects,
    with what body."""

    who: str | None = None  # "user", "admin", "pending" (unverified) or anonymous
    target: str = "own"  # "other": the other user; "draft": the user's draft
    json: Callable[["Scene"], dict[str, Any]] | None = None
    form: Callable[["Scene"], dict[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Scene:
    """A user with a draft, a published post and a comment on it; an admin; another user."""

    user: dict[str, Any]
    tokens: dict[str, Any]
    admin: dict[str, Any]
    admin_tokens: dict[str, Any]
    other: dict[str, Any]
    post: dict[str, Any]
    draft: dict[str, Any]
    comment: dict[str, Any]
    reset_token: str  # mailed to the user
    verification_token: str  # mailed to `pending`, a user who has not verified yet
    pending_tokens: dict[str, Any]

    def call(self, operation_id: str) -> Call:
        """A request for the operation that the server would grant."""
        op, shape = operation(operation_id), _SHAPES[operation_id]
        path = op.path.format(
            user_id=self.other["id"] if shape.target == "other" else self.user["id"],
            post_id=self.draft["id"] if shape.target == "draft" else self.post["id"],
            comment_id=self.comment["id"],
        )
        credentials = {
            "user": self.tokens,
            "admin": self.admin_tokens,
            "pending": self.pending_tokens,
        }.get(shape.who or "")
        return Call(
            op.method,
            path,
            headers={**(bearer(credentials) if credentials else {}), **shape.headers},
            json=shape.json(self) if shape.json else None,
            form=shape.form(self) if shape.form else None,
        )


# The OWASP tests check that this table names every operation of the contract: a new operation
# must be added here, and is then probed like the others.
_SHAPES: dict[str, _Shape] = {
    "getLiveness": _Shape(),
    "getReadiness": _Shape(),
    "registerUser": _Shape(
        json=lambda s: {"email": unique_email("new"), "password": PASSWORD, "display_name": "N"}
    ),
    "issueToken": _Shape(form=lambda s: {"username": s.user["email"], "password": PASSWORD}),
    "refreshToken": _Shape(json=lambda s: {"refresh_token": s.tokens["refresh_token"]}),
    "logout": _Shape(json=lambda s: {"refresh_token": s.tokens["refresh_token"]}),
    "requestPasswordReset": _Shape(json=lambda s: {"email": s.user["email"]}),
    "resetPassword": _Shape(
        json=lambda s: {"token": s.reset_token, "new_password": "a different passphrase"}
    ),
    "verifyEmail": _Shape(json=lambda s: {"token": s.verification_token}),
    "resendVerification": _Shape("pending"),
    "sendPasswordReset": _Shape("admin", "other"),
    "listUsers": _Shape("admin"),
    "getCurrentUser": _Shape("user"),
    "updateCurrentUser": _Shape("user", json=lambda s: {"display_name": "Renamed"}),
    "changePassword": _Shape(
        "user",
        json=lambda s: {"current_password": PASSWORD, "new_password": "a different passphrase"},
    ),
    "getUser": _Shape("user"),
    "updateUser": _Shape("admin", "other", json=lambda s: {"is_active": True}),
    "deleteUser": _Shape("admin", "other"),
    "listUserPosts": _Shape(),
    "listPosts": _Shape(),
    "createPost": _Shape("user", json=lambda s: {"title": "A title", "body": "Words."}),
    "getPost": _Shape(),
    "updatePost": _Shape("user", json=lambda s: {"title": "Edited"}, headers={"If-Match": "*"}),
    "deletePost": _Shape("user", headers={"If-Match": "*"}),
    "publishPost": _Shape("user", "draft"),
    "unpublishPost": _Shape("user"),
    "listComments": _Shape(),
    "createComment": _Shape("user", json=lambda s: {"body": "A comment."}),
    "deleteComment": _Shape("user"),
}


def described_operations() -> set[str]:
    return set(_SHAPES)


async def build_scene(client: httpx.AsyncClient, db: AsyncConnection) -> Scene:
    user, tokens = await user_with_tokens(client)
    admin, admin_tokens = await admin_with_tokens(client, db)
    other, _ = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    draft = await create_post(client, tokens)
    comment = await create_comment(client, tokens, post["id"])
    post = (await client.get(f"/api/v1/posts/{post['id']}")).json()  # counts the comment
    await client.post("/api/v1/auth/password-reset", json={"email": user["email"]})
    (reset,) = await mails_to(db, user["email"], "Reset")
    pending = await register(client, verified=False)
    (verification,) = await mails_to(db, pending["email"], "Confirm")
    pending_tokens = await login(client, pending["email"])
    return Scene(
        user,
        tokens,
        admin,
        admin_tokens,
        other,
        post,
        draft,
        comment,
        link_token(reset),
        link_token(verification),
        pending_tokens,
    )


# --- probes ----------------------------------------------------------------------------------


class CountingPasswords:
    """Stands in for the password hashing context (app.auth.passwords._context): counts the
    verifications and hashes the server runs, the CPU an attacker can make it spend."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.verified = 0
        self.hashed = 0

    def verify(self, *args: Any) -> bool:
        self.verified += 1
        return bool(self._real.verify(*args))

    def hash(self, *args: Any) -> str:
        self.hashed += 1
        return str(self._real.hash(*args))


def same_problem(first: httpx.Response, second: httpx.Response) -> bool:
    """Two answers an attacker cannot tell apart: status, headers that matter, and the problem
    body but for what names the request (its path and id)."""

    def essence(response: httpx.Response) -> tuple[Any, ...]:
        body = {k: v for k, v in response.json().items() if k not in ("instance", "request_id")}
        return response.status_code, response.headers.get("www-authenticate"), body

    return essence(first) == essence(second)


def wait_for_a_fresh_window(seconds: int, margin: float = 10) -> float:
    """Seconds to wait so that a burst starting then cannot straddle two rate-limit windows
    (they are fixed, aligned to the epoch): 0 when the current one has `margin` seconds left."""
    left = seconds - time.time() % seconds
    return left + 0.05 if left < margin else 0.0


async def early_in_window(seconds: int, margin: float = 10) -> None:
    await asyncio.sleep(wait_for_a_fresh_window(seconds, margin))


def imported_modules(package: Path) -> set[str]:
    """Every module the Python files under `package` import, by full dotted name."""
    return set().union(*(imported_modules_of(path) for path in package.rglob("*.py")))


def imported_modules_of(path: Path) -> set[str]:
    """Every module one Python file imports, by full dotted name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_module_or_below(name: str, modules: set[str]) -> bool:
    return any(name == module or name.startswith(f"{module}.") for module in modules)


def runtime_requirements() -> list[str]:
    """The names of `[project].dependencies` in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [
        re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0]
        for requirement in project["dependencies"]
    ]


def random_id() -> str:
    return str(uuid.uuid4())


# Libraries that open an HTTP connection: an outbound request (API7) or a third-party API call
# (API10) goes through one of them.
HTTP_CLIENTS = frozenset(
    {"httpx", "requests", "aiohttp", "urllib3", "urllib.request", "http.client", "pycurl"}
)
