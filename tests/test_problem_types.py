"""Every problem has a stable type a program can match on, listed in the spec, with a page."""

import httpx
import pytest

from app import errors
from app.http.problem_types import BY_SLUG, FALLBACK, TYPES
from app.spec import load_spec
from tests.helpers import assert_problem, bearer, user_with_tokens


def _spec_types() -> list[str]:
    enum: list[str] = load_spec()["components"]["schemas"]["ProblemType"]["enum"]
    return enum


def test_the_spec_lists_exactly_the_types_the_server_answers_with() -> None:
    assert _spec_types() == [problem.uri for problem in TYPES] + [FALLBACK]


def test_every_error_status_the_spec_documents_has_a_type_of_its_own() -> None:
    statuses = {
        int(code)
        for path in load_spec()["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "responses" in operation
        for code in operation["responses"]
        if code.isdigit() and int(code) >= 400
    }
    typed = {int(problem.status) for problem in TYPES}
    assert statuses <= typed, statuses - typed


def test_every_specific_error_type_is_in_the_catalogue() -> None:
    specific = {error.type for error in _subclasses(errors.AppError) if error.type}
    assert specific
    assert specific <= {problem.uri for problem in TYPES}


def _subclasses(cls: type) -> set[type[errors.AppError]]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(sub) for sub in found))


async def test_answers_carry_their_type(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    answers = {
        "/problems/not-found": await client.get("/api/v1/nowhere"),
        "/problems/validation": await client.get("/api/v1/posts", params={"limit": 0}),
        "/problems/unauthorized": await client.get("/api/v1/users/me"),
        "/problems/forbidden": await client.get("/api/v1/users", headers=bearer(tokens)),
        "/problems/method-not-allowed": await client.delete("/api/v1/posts"),
        "/problems/bad-request": await client.get("/api/v1/posts", params={"cursor": "x"}),
    }
    for expected, response in answers.items():
        body = assert_problem(response, int(BY_SLUG[expected.rsplit("/", 1)[1]].status))
        assert body["type"] == expected


@pytest.mark.parametrize("slug", sorted(BY_SLUG))
async def test_each_type_is_a_page_saying_what_it_means(
    client: httpx.AsyncClient, slug: str
) -> None:
    page = await client.get(f"/problems/{slug}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert BY_SLUG[slug].title in page.text
    assert f"/problems/{slug}" in page.text


async def test_an_unknown_type_has_no_page(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/problems/no-such-thing"), 404)
    assert body["type"] == "/problems/not-found"
