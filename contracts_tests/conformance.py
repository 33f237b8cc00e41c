"""Route conformance: the app's routes and the spec's operations, compared one to one.

For every operation: the handler's name, its path and query parameter names, its success status,
each query and header parameter's bounds (`minimum`, `maximum`, `minLength`, `maxLength`),
`pattern`, `enum` and `default`, and who may call it (`security`).

What the server enforces is read from the routes themselves: a FastAPI route's parameters and
dependencies, a lean route's (app.http.lean_routes) query model. Who may call a route:

- public: its spec `security` lists `{}` (a token is optional);
- signed-in: a token is required (the spec's bearer schemes, without `{}`);
- admin: a token of an administrator (the operation's `x-required-role: admin`).

A FastAPI route requires a token when its dependencies include `get_current_user` or
`get_current_writer`, and an admin when they include `require_admin`. A lean route calls its
caller's function inside its endpoint, which cannot be read, so it is exercised instead: asked
without a token, in-process and without a database, a route that answers 401 requires one
(authentication comes before any database work; a public route fails on the absent database
instead). Lean routes have no admin check; none is an admin operation.

Request bodies are not compared: routes parse them with the contract models generated from the
spec (`app.contract`), and `nox -s drift` holds those to it.

`python -m contracts_tests.conformance` prints every difference and exits 1 when there is one.
"""

import asyncio
import copy
import enum
import logging
import re
import sys
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from starlette.datastructures import State
from starlette.routing import BaseRoute
from starlette.types import Message

from app.auth.dependencies import get_current_user, get_current_writer, require_admin
from app.http.lean_routes import LeanRoute
from app.http.routes import iter_routes
from contracts_tests.coverage import resolve

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Pages for people, not API operations: the docs, and what each problem type means.
FRAMEWORK_PATHS = {
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/problems/{slug}",
}
# The spec's pattern on every string that only refuses NUL (design: "The server rejects NUL
# characters in text with 422"). Servers refuse NUL by a validator, not a pattern; whether
# they do is what Schemathesis checks (it generates NUL where the pattern forbids it).
NO_NUL = "^[^\\u0000]*$"
PUBLIC, SIGNED_IN, ADMIN = "public", "signed-in", "admin"
TOKEN_DEPENDENCIES: set[Callable[..., Any]] = {get_current_user, get_current_writer}
ADMIN_DEPENDENCIES: set[Callable[..., Any]] = {require_admin}


@dataclass(frozen=True)
class Bounds:
    """What a query or header parameter accepts and defaults to (None: not stated)."""

    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    default: Any = None

    def describe(self) -> str:
        shown = {k: v for k, v in self.__dict__.items() if v is not None}
        return ", ".join(f"{k}={v!r}" for k, v in shown.items()) or "no bounds"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    path_params: frozenset[str]
    query_params: frozenset[str]
    success_status: int
    # ("query" | "header", name) -> its bounds; header names in lowercase.
    bounds: dict[tuple[str, str], Bounds] = field(default_factory=dict, compare=False)
    security: str | None = field(default=None, compare=False)


def spec_path(route_path: str) -> str:
    """`/posts/{post_id:uuid}` -> `/posts/{post_id}`: convertors narrow matching, not the path."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route_path)


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def _spec_params(parameters: list[dict[str, Any]], where: str) -> frozenset[str]:
    return frozenset(p["name"] for p in parameters if p.get("in") == where)


def _spec_bounds(spec: dict[str, Any], parameter: dict[str, Any]) -> Bounds:
    schema = resolve(spec, parameter.get("schema", {}))
    pattern = schema.get("pattern")
    return Bounds(
        minimum=schema.get("minimum"),
        maximum=schema.get("maximum"),
        min_length=schema.get("minLength"),
        max_length=schema.get("maxLength"),
        pattern=None if pattern == NO_NUL else pattern,
        enum=tuple(sorted(map(str, schema["enum"]))) if "enum" in schema else None,
        default=schema.get("default"),
    )


def spec_security(spec: dict[str, Any], operation: dict[str, Any]) -> str:
    requirements = operation.get("security", spec.get("security", []))
    if not requirements or {} in requirements:
        return PUBLIC
    return ADMIN if operation.get("x-required-role") == "admin" else SIGNED_IN


def spec_operations(spec: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, path_item in spec["paths"].items():
        for method in METHODS:
            if method not in path_item:
                continue
            operation = path_item[method]
            parameters = [
                resolve(spec, p)
                for p in (*path_item.get("parameters", []), *operation.get("parameters", []))
            ]
            statuses = sorted(int(code) for code in operation["responses"] if code.startswith("2"))
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    name=snake_case(operation["operationId"]),
                    path_params=_spec_params(parameters, "path"),
                    query_params=_spec_params(parameters, "query"),
                    success_status=statuses[0] if statuses else 0,
                    bounds={
                        (p["in"], _key(p["in"], p["name"])): _spec_bounds(spec, p)
                        for p in parameters
                        if p["in"] in ("query", "header")
                    },
                    security=spec_security(spec, operation),
                )
            )
    return operations


def _key(where: str, name: str) -> str:
    return name.lower() if where == "header" else name


def _flatten(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _flatten(sub)


def _choices(annotation: Any) -> tuple[str, ...] | None:
    """The values a Literal or Enum annotation (optionally `| None`) admits, else None."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return _choices(members[0]) if len(members) == 1 else None
    if get_origin(annotation) is Literal:
        return tuple(sorted(map(str, get_args(annotation))))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(sorted(str(member.value) for member in annotation))
    return None


def field_bounds(info: FieldInfo, annotation: Any) -> Bounds:
    """What pydantic enforces for a field: its annotated-types bounds, pattern, choices, default."""
    found: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            found["minimum"] = item.ge
        elif isinstance(item, annotated_types.Le):
            found["maximum"] = item.le
        elif isinstance(item, annotated_types.MinLen):
            found["min_length"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        elif getattr(item, "pattern", None) is not None:
            found["pattern"] = item.pattern
    default = info.default
    if isinstance(default, enum.Enum):
        default = default.value
    return Bounds(
        **found,
        enum=_choices(annotation),
        default=None if default is PydanticUndefined else default,
    )


def _status_without_token(app: FastAPI, method: str, path: str) -> int:
    """The status `app` answers `method path` with an empty JSON body and no token, called
    in-process without a database: on a copy of `app` with an empty state, so that even an app
    whose lifespan runs (the tests' own) opens no connection in this probe's event loop."""
    app = copy.copy(app)  # the same routes and middleware; Starlette sets scope["app"] to it
    app.state = State()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"conformance")],
        "client": ("127.0.0.1", 1),
        "server": ("conformance", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    quiet = logging.getLogger("app")  # the absent database's error is expected here
    level, quiet.level = quiet.level, logging.CRITICAL
    try:
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    finally:
        quiet.level = level
    return int(next(m["status"] for m in sent if m["type"] == "http.response.start"))


def _lean_security(app: FastAPI, route: LeanRoute, method: str) -> str:
    """A lean route's caller check, exercised: 401 without a token means one is required."""
    path = re.sub(r"\{\w+(:\w+)?\}", lambda _: str(uuid.uuid4()), route.path)
    return SIGNED_IN if _status_without_token(app, method, path) == 401 else PUBLIC


def _route_details(
    app: FastAPI, route: BaseRoute, method: str
) -> tuple[frozenset[str], frozenset[str], dict[tuple[str, str], Bounds], str]:
    """(path names, query names, bounds, security) of a FastAPI route or a lean route."""
    if isinstance(route, LeanRoute):
        fields = route.query_model.model_fields
        bounds = {
            ("query", info.alias or name): field_bounds(info, info.annotation)
            for name, info in fields.items()
        }
        query = frozenset(name for _, name in bounds)
        return frozenset(route.param_convertors), query, bounds, _lean_security(app, route, method)
    dependants = list(_flatten(route.dependant))  # type: ignore[attr-defined]
    calls = {d.call for d in dependants}
    security = (
        ADMIN if calls & ADMIN_DEPENDENCIES else SIGNED_IN if calls & TOKEN_DEPENDENCIES else PUBLIC
    )
    bounds = {}
    for where, params in (
        ("query", [p for d in dependants for p in d.query_params]),
        ("header", [p for d in dependants for p in d.header_params]),
    ):
        for param in params:
            bounds[(where, _key(where, param.alias))] = field_bounds(
                param.field_info, param.field_info.annotation
            )
    return (
        frozenset(p.alias for d in dependants for p in d.path_params),
        frozenset(name for where, name in bounds if where == "query"),
        bounds,
        security,
    )


def app_operations(app: FastAPI) -> list[Operation]:
    operations = []
    for route in iter_routes(app):
        if route.path in FRAMEWORK_PATHS or route.path is None:
            continue
        for method in sorted(route.methods or ()):
            path_params, query_params, bounds, security = _route_details(
                app, route.original_route, method
            )
            operations.append(
                Operation(
                    method=method,
                    path=spec_path(route.path),
                    name=route.name or "",
                    path_params=path_params,
                    query_params=query_params,
                    success_status=getattr(route, "status_code", None) or 200,
                    bounds=bounds,
                    security=security,
                )
            )
    return operations


def _bounds_mismatches(where: str, spec_op: Operation, app_op: Operation) -> list[str]:
    problems = []
    for key in sorted(spec_op.bounds.keys() & app_op.bounds.keys()):
        expected, actual = spec_op.bounds[key], app_op.bounds[key]
        for name in Bounds.__dataclass_fields__:
            want, got = getattr(expected, name), getattr(actual, name)
            if want != got:
                problems.append(
                    f"{where}: {key[0]} parameter {key[1]!r} has {name} {got!r},"
                    f" the spec says {want!r}"
                )
    return problems


def _describe_mismatch(spec_op: Operation, app_op: Operation) -> list[str]:
    where = f"{spec_op.method} {spec_op.path}"
    problems = []
    for attribute, label in (
        ("name", "handler name"),
        ("path_params", "path parameters"),
        ("query_params", "query parameters"),
        ("success_status", "success status"),
    ):
        expected, actual = getattr(spec_op, attribute), getattr(app_op, attribute)
        if expected != actual:
            show = sorted if isinstance(expected, frozenset) else (lambda v: v)
            problems.append(
                f"{where}: {label} is {show(actual)!r}, the spec says {show(expected)!r}"
            )
    problems.extend(_bounds_mismatches(where, spec_op, app_op))
    if spec_op.security != app_op.security:
        problems.append(f"{where}: callers are {app_op.security}, the spec says {spec_op.security}")
    return problems


def differences(app: FastAPI, spec: dict[str, Any]) -> list[str]:
    """Every way the app's routes differ from the spec's operations, in plain sentences."""
    expected = {(op.method, op.path): op for op in spec_operations(spec)}
    actual: dict[tuple[str, str], list[Operation]] = {}
    for op in app_operations(app):
        actual.setdefault((op.method, op.path), []).append(op)
    problems = []
    for key, spec_op in sorted(expected.items()):
        routes = actual.get(key, [])
        if not routes:
            problems.append(f"{key[0]} {key[1]}: in the spec ({spec_op.name}) but not implemented")
        elif len(routes) > 1:
            problems.append(f"{key[0]} {key[1]}: {len(routes)} routes, expected exactly one")
        else:
            problems.extend(_describe_mismatch(spec_op, routes[0]))
    for key in sorted(actual.keys() - expected.keys()):
        problems.append(f"{key[0]} {key[1]}: served by the app but not in the spec")
    return problems


def main() -> int:
    from app.main import create_app
    from app.spec import load_spec

    problems = differences(create_app(), load_spec())
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} difference(s) between the routes and openapi/openapi.yaml")
        return 1
    print("Every spec operation has exactly one matching route, and no route is outside the spec.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
