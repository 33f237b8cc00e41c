"""The app's routes match the spec's operations one to one, and the checker names differences:
names, parameters, bounds, defaults, security; live, statuses and required headers. Planted
deviations (contracts_tests.planted) show each check catches what it is for."""

import copy
from typing import Any

import pytest
from fastapi import FastAPI, status

from app.main import create_app
from app.spec import load_spec
from contracts_tests import planted
from contracts_tests.conformance import differences
from contracts_tests.live_server import live_server
from contracts_tests.probe import walk


@pytest.fixture
def app() -> FastAPI:
    return create_app()


@pytest.fixture
def spec() -> dict[str, Any]:
    return copy.deepcopy(load_spec())


def test_routes_match_the_spec(app: FastAPI, spec: dict[str, Any]) -> None:
    assert differences(app, spec) == []


def test_an_undocumented_route_is_named(app: FastAPI, spec: dict[str, Any]) -> None:
    async def debug_dump() -> None:
        return None

    app.add_api_route("/api/v1/debug", debug_dump, methods=["GET"])
    assert differences(app, spec) == ["GET /api/v1/debug: served by the app but not in the spec"]


def test_an_unimplemented_operation_is_named(app: FastAPI, spec: dict[str, Any]) -> None:
    spec["paths"]["/api/v1/health/version"] = {
        "get": {"operationId": "getVersion", "responses": {"200": {"description": "ok"}}}
    }
    assert differences(app, spec) == [
        "GET /api/v1/health/version: in the spec (get_version) but not implemented"
    ]


def test_handler_name_params_and_status_are_compared(app: FastAPI, spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/api/v1/auth/register"]["post"]
    operation["operationId"] = "signUp"
    operation["parameters"] = [{"name": "invite", "in": "query", "schema": {"type": "string"}}]
    operation["responses"][str(status.HTTP_201_CREATED)] = operation["responses"].pop("202")
    assert differences(app, spec) == [
        "POST /api/v1/auth/register: handler name is 'register_user', the spec says 'sign_up'",
        "POST /api/v1/auth/register: query parameters is [], the spec says ['invite']",
        "POST /api/v1/auth/register: success status is 202, the spec says 201",
    ]


def test_lean_routes_are_compared_by_their_query_model(app: FastAPI, spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/api/v1/posts"]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p.get("name") != "tag"]
    (problem,) = differences(app, spec)
    assert problem.startswith("GET /api/v1/posts: query parameters is ['author_id', 'cursor',")
    assert "'tag'" in problem.split("the spec says")[0]


def test_bounds_patterns_and_defaults_are_compared(app: FastAPI, spec: dict[str, Any]) -> None:
    parameters = {p.get("name"): p for p in spec["paths"]["/api/v1/posts"]["get"]["parameters"]}
    parameters["q"]["schema"]["maxLength"] = 100
    parameters["tag"]["schema"]["pattern"] = "^[a-z]+$"
    spec["components"]["parameters"]["Limit"]["schema"]["maximum"] = 50
    assert sorted(differences(app, spec)) == [
        "GET /api/v1/posts/{post_id}/comments: query parameter 'limit' has maximum 100,"
        " the spec says 50",
        "GET /api/v1/posts: query parameter 'limit' has maximum 100, the spec says 50",
        "GET /api/v1/posts: query parameter 'q' has max_length 200, the spec says 100",
        "GET /api/v1/posts: query parameter 'tag' has pattern '^[a-z0-9]+(-[a-z0-9]+)*$',"
        " the spec says '^[a-z]+$'",
        "GET /api/v1/users/{user_id}/posts: query parameter 'limit' has maximum 100,"
        " the spec says 50",
        "GET /api/v1/users: query parameter 'limit' has maximum 100, the spec says 50",
    ]


def test_header_parameter_bounds_are_compared(app: FastAPI, spec: dict[str, Any]) -> None:
    spec["components"]["parameters"]["IfMatch"]["schema"]["maxLength"] = 100
    assert differences(app, spec) == [
        "DELETE /api/v1/posts/{post_id}: header parameter 'if-match' has max_length 200,"
        " the spec says 100",
        "PATCH /api/v1/posts/{post_id}: header parameter 'if-match' has max_length 200,"
        " the spec says 100",
    ]


def test_a_planted_list_default_of_50_is_named(app: FastAPI, spec: dict[str, Any]) -> None:
    planted.widen_list_default(app)
    assert differences(app, spec) == [
        "GET /api/v1/posts: query parameter 'limit' has default 50, the spec says 20"
    ]


def test_a_planted_open_admin_operation_is_named(app: FastAPI, spec: dict[str, Any]) -> None:
    planted.open_list_users(app)
    assert differences(app, spec) == [
        "GET /api/v1/users: callers are signed-in, the spec says admin"
    ]


def test_security_of_lean_routes_is_exercised(app: FastAPI, spec: dict[str, Any]) -> None:
    """Lean routes: a public read the spec says needs a token, a create it says is public."""
    spec["paths"]["/api/v1/posts"]["get"]["security"] = [{"bearerAuth": []}]
    spec["paths"]["/api/v1/posts"]["post"]["security"] = [{}]
    assert differences(app, spec) == [
        "GET /api/v1/posts: callers are public, the spec says signed-in",
        "POST /api/v1/posts: callers are signed-in, the spec says public",
    ]


def test_an_admin_operation_the_spec_opens_is_named(app: FastAPI, spec: dict[str, Any]) -> None:
    del spec["paths"]["/api/v1/users"]["get"]["x-required-role"]
    assert differences(app, spec) == [
        "GET /api/v1/users: callers are admin, the spec says signed-in"
    ]


@pytest.fixture(scope="module")
def spec_document() -> dict[str, Any]:
    return copy.deepcopy(load_spec())


def test_the_live_walk_finds_no_problems(spec_document: dict[str, Any]) -> None:
    with live_server() as (base_url, database_url):
        assert walk(base_url, database_url, spec_document) == []


def test_the_live_walk_catches_the_planted_deviations(spec_document: dict[str, Any]) -> None:
    with live_server(asgi_app="contracts_tests.planted:app") as (base_url, database_url):
        problems = walk(base_url, database_url, spec_document, source=None)
    for caught in (
        "refreshToken 200: required header Cache-Control missing",
        "getPost 200: required header ETag missing",
        "createPost 201: required header Location missing",
        "listUsers: answered 200, expected 403",
    ):
        assert caught in problems
