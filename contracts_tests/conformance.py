"""Route conformance: the app's routes and the spec's operations, compared one to one.

`python -m contracts_tests.conformance` prints every difference and exits 1 when there is one.
"""

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from app.http.lean_routes import LeanRoute
from app.http.routes import iter_routes

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Pages for people, not API operations: the docs, and what each problem type means.
FRAMEWORK_PATHS = {
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/problems/{slug}",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    path_params: frozenset[str]
    query_params: frozenset[str]
    success_status: int


def spec_path(route_path: str) -> str:
    """`/posts/{post_id:uuid}` -> `/posts/{post_id}`: convertors narrow matching, not the path."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", route_path)


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def _spec_params(
    path_item: dict[str, Any], operation: dict[str, Any], where: str
) -> frozenset[str]:
    parameters = [*path_item.get("parameters", []), *operation.get("parameters", [])]
    return frozenset(p["name"] for p in parameters if p.get("in") == where)


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def spec_operations(spec: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, path_item in spec["paths"].items():
        resolved_item = {
            **path_item,
            "parameters": [_resolve(spec, p) for p in path_item.get("parameters", [])],
        }
        for method in METHODS:
            if method not in path_item:
                continue
            operation = path_item[method]
            operation = {
                **operation,
                "parameters": [_resolve(spec, p) for p in operation.get("parameters", [])],
            }
            statuses = sorted(int(code) for code in operation["responses"] if code.startswith("2"))
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    name=snake_case(operation["operationId"]),
                    path_params=_spec_params(resolved_item, operation, "path"),
                    query_params=_spec_params(resolved_item, operation, "query"),
                    success_status=statuses[0] if statuses else 0,
                )
            )
    return operations


def _flatten(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _flatten(sub)


def app_operations(app: FastAPI) -> list[Operation]:
    operations = []
    for route in iter_routes(app):
        if route.path in FRAMEWORK_PATHS or route.path is None:
            continue
        path_params, query_params = _params(route.original_route)
        for method in sorted(route.methods or ()):
            operations.append(
                Operation(
                    method=method,
                    path=spec_path(route.path),
                    name=route.name or "",
                    path_params=path_params,
                    query_params=query_params,
                    success_status=getattr(route, "status_code", None) or 200,
                )
            )
    return operations


def _params(route: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(path, query) parameter names of a FastAPI route or a lean route (app.http.lean_routes)."""
    if isinstance(route, LeanRoute):
        fields = route.query_model.model_fields
        query = frozenset(field.alias or name for name, field in fields.items())
        return frozenset(route.param_convertors), query
    dependants = list(_flatten(route.dependant))
    return (
        frozenset(p.alias for d in dependants for p in d.path_params),
        frozenset(p.alias for d in dependants for p in d.query_params),
    )


def _describe_mismatch(spec_op: Operation, app_op: Operation) -> list[str]:
    where = f"{spec_op.method} {spec_op.path}"
    problems = []
    for field, label in (
        ("name", "handler name"),
        ("path_params", "path parameters"),
        ("query_params", "query parameters"),
        ("success_status", "success status"),
    ):
        expected, actual = getattr(spec_op, field), getattr(app_op, field)
        if expected != actual:
            show = sorted if isinstance(expected, frozenset) else (lambda v: v)
            problems.append(
                f"{where}: {label} is {show(actual)!r}, the spec says {show(expected)!r}"
            )
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
