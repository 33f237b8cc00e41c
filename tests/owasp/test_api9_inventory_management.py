"""API9:2023 Improper Inventory Management.

Knowing exactly what is exposed: no forgotten, undocumented or older API version still
answering, and documentation that matches what runs. In Inkwell the contract
(openapi/openapi.yaml) is the inventory: the server serves exactly its operations (route
conformance, contracts_tests/conformance.py), publishes that reviewed file at /openapi.json (not
a document derived from the code), serves one version (`/api/v1`) from one relative server, and
announces a deprecated operation's end with `Deprecation` and `Sunset` on every answer.

Also covered elsewhere:
- contracts_tests/test_conformance.py: the same comparison on a fresh app, and that the
  checker names an undocumented route and an unimplemented operation.
- tests/test_http_conventions.py::test_openapi_json_is_the_reviewed_spec (byte-for-byte the
  YAML's document).
- tests/test_deprecation.py: the Deprecation and Sunset rules on a synthetic contract.
- Schemathesis (`nox -s contract`): every answer conforms to the documented responses.
"""

from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from app import main as app_main
from app.config import get_settings
from app.spec import SPEC_PATH, load_spec
from contracts_tests.conformance import FRAMEWORK_PATHS, differences
from tests.helpers import assert_problem
from tests.owasp.support import Scene, operations


def test_the_running_app_serves_exactly_the_contracts_operations(app: FastAPI) -> None:
    """The app the tests talk to (tests/conftest.py), not a fresh one: every route is in the
    contract with its handler name, parameters and status, and every operation has a route."""
    assert differences(app, load_spec()) == []
    documentation = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
    assert documentation | {"/problems/{slug}"} == FRAMEWORK_PATHS


async def test_the_served_contract_is_the_reviewed_one_at_its_version(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reviewed = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    served = (await client.get("/openapi.json")).json()
    assert served["info"]["version"] == reviewed["info"]["version"] == app.version
    assert served["paths"].keys() == reviewed["paths"].keys()


def test_one_api_version_from_one_relative_server() -> None:
    """No second version or host to forget: every path under `/api/v1`, the document's only
    server its own origin."""
    spec = load_spec()
    assert spec["servers"] == [{"url": "/", "description": spec["servers"][0]["description"]}]
    assert [path for path in spec["paths"] if not path.startswith("/api/v1/")] == []
    assert not [op for op in operations() if "servers" in op.spec]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/posts",
        "/api/v0/posts",
        "/api/posts",
        "/v1/posts",
        "/api/v1/admin",
        "/api/v1/debug",
        "/api/v1/internal/users",
        "/api/v1/users/export",
        "/metrics",
        "/status",
        "/swagger.json",
        "/openapi.yaml",
        "/docs/openapi.json",
        "/.env",
        "/.git/config",
    ],
)
async def test_nothing_answers_outside_the_inventory(client: httpx.AsyncClient, path: str) -> None:
    """Paths where forgotten versions, debug and admin back doors or leaked files are
    usually found: the same 404 problem as any unknown path."""
    for method in ("GET", "POST"):
        response = await client.request(method, path)
        assert response.status_code in (404, 405), (method, path)
        assert_problem(response, response.status_code)


def _deprecation_headers(response: httpx.Response) -> set[str]:
    return {name for name in ("deprecation", "sunset") if name in response.headers}


async def test_deprecation_headers_are_sent_exactly_for_deprecated_operations(
    client: httpx.AsyncClient, scene: Scene
) -> None:
    """Every read of the contract, answered as it is now: `Deprecation` (and `Sunset` when
    dated) if and only if the operation is deprecated. The contract deprecates nothing at
    present; when it does, this test expects the headers of that operation."""
    for op in operations():
        if op.method != "GET":
            continue
        response = await scene.call(op.operation_id).send(client)
        assert response.status_code == 200, (op.operation_id, response.text)
        expected = set()
        if op.spec.get("deprecated"):
            expected = {"deprecation"} | ({"sunset"} if "x-sunset" in op.spec else set())
        assert _deprecation_headers(response) == expected, op.operation_id


async def test_marking_an_operation_deprecated_in_the_contract_is_all_it_takes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app reads deprecations from the contract it is built with: mark a real operation
    (the liveness probe, which needs no database) and its answers carry both headers."""
    spec: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    spec["paths"]["/api/v1/health/live"]["get"].update(
        {"deprecated": True, "x-deprecated-at": "2026-12-01", "x-sunset": "2027-06-01T00:00:00Z"}
    )
    monkeypatch.setattr(app_main, "load_spec", lambda: spec)
    transport = httpx.ASGITransport(app=app_main.create_app(get_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
        live = await http.get("/api/v1/health/live")
        other = await http.get("/api/v1/nowhere")
    assert live.status_code == 200
    assert live.headers["deprecation"] == "@1796083200"
    assert live.headers["sunset"] == "Tue, 01 Jun 2027 00:00:00 GMT"
    assert _deprecation_headers(other) == set()
