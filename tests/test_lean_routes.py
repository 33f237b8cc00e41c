"""The public post reads are lean routes (app.http.lean_routes): they answer as FastAPI does."""

import uuid

import httpx

from tests.helpers import assert_problem, bearer, create_post, user_with_tokens

POSTS = "/api/v1/posts"


async def test_head_is_405_naming_the_methods(client: httpx.AsyncClient) -> None:
    response = await client.head(POSTS)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_the_last_of_a_repeated_parameter_counts_and_unknown_ones_are_ignored(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    for _ in range(3):
        await create_post(client, tokens, publish=True)
    page = await client.get(POSTS, params=[("limit", "0"), ("limit", "2"), ("colour", "red")])
    assert page.status_code == 200
    assert len(page.json()["items"]) == 2
    refused = await client.get(POSTS, params=[("limit", "2"), ("limit", "0")])
    assert assert_problem(refused, 422)["errors"][0]["location"] == "query.limit"


async def test_every_invalid_parameter_is_named(client: httpx.AsyncClient) -> None:
    response = await client.get(
        POSTS, params={"limit": "many", "author_id": "me", "tag": "Not A Tag", "sort": "best"}
    )
    locations = {error["location"] for error in assert_problem(response, 422)["errors"]}
    assert locations == {"query.limit", "query.author_id", "query.tag", "query.sort"}


async def test_a_path_parameter_that_is_no_uuid_is_404(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"/api/v1/users/{uuid.uuid4().hex[:8]}/posts"), 404)


async def test_a_create_without_a_token_is_401_before_its_body_is_validated(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.post(POSTS, json={"title": 5}), 401)


async def test_a_create_names_each_invalid_field_and_a_missing_body(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    bad = await client.post(POSTS, json={"title": "", "tags": "x"}, headers=bearer(tokens))
    locations = {error["location"] for error in assert_problem(bad, 422)["errors"]}
    assert locations == {"body.title", "body.body", "body.tags"}
    empty = await client.post(POSTS, headers=bearer(tokens))
    assert assert_problem(empty, 422)["errors"][0]["location"] == "body"


async def test_a_create_takes_json_with_a_suffix_or_a_charset(client: httpx.AsyncClient) -> None:
    """Media types a lean route takes are JSON's, as FastAPI's; other types are refused before
    the route (tests/test_http_conventions.py: 415)."""
    _, tokens = await user_with_tokens(client)
    body = b'{"title": "A title", "body": "Some text"}'
    for media_type in ("application/merge-patch+json", "application/json; charset=utf-8"):
        headers = {**bearer(tokens), "Content-Type": media_type}
        assert (await client.post(POSTS, content=body, headers=headers)).status_code == 201
