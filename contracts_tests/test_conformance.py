"""The app's routes match the spec's operations one to one, and the checker names differences."""

import copy
from typing import Any

import pytest
from fastapi import FastAPI, status

from app.main import create_app
from app.spec import load_spec
from contracts_tests.conformance import differences


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
