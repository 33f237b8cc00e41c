"""Posts one at a time: writing, validation, visibility, ETags and the publish life cycle."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.helpers import (
    POSTS,
    admin_with_tokens,
    assert_problem,
    bearer,
    create_comment,
    create_post,
    current_etag,
    user_with_tokens,
)


async def test_create_answers_a_draft_with_location_and_etag(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    response = await client.post(
        POSTS,
        json={"title": "Notes on the Engine", "body": "It weaves.", "tags": ["history", "math"]},
        headers=bearer(tokens),
    )
    assert response.status_code == 201
    post = response.json()
    assert response.headers["location"] == f"{POSTS}/{post['id']}"
    assert post["slug"] == "notes-on-the-engine"
    assert post["title"] == "Notes on the Engine"
    assert post["body"] == "It weaves."
    assert post["tags"] == ["history", "math"]
    assert post["status"] == "draft"
    assert post["published_at"] is None
    assert post["comment_count"] == 0
    assert post["author"] == {"id": user["id"], "display_name": user["display_name"]}
    assert response.headers["etag"] == await current_etag(client, post["id"], tokens)


async def test_create_defaults_tags_to_empty(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    assert (await create_post(client, tokens))["tags"] == []


async def test_create_gives_a_taken_title_a_distinct_slug(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    _, other_tokens = await user_with_tokens(client)
    first = await create_post(client, tokens, title="Hello, World!")
    second = await create_post(client, other_tokens, title="Hello, World!")
    assert first["slug"] == "hello-world"
    assert second["slug"].startswith("hello-world-")
    assert second["slug"] != first["slug"]


async def test_create_slugifies_accents_and_symbol_only_titles(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    assert (await create_post(client, tokens, title="Café déjà vu"))["slug"] == "cafe-deja-vu"
    assert (await create_post(client, tokens, title="?!"))["slug"] == "post"


async def test_slug_stays_when_the_title_changes(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, title="First title")
    response = await client.patch(
        f"{POSTS}/{post['id']}",
        json={"title": "Second title"},
        headers={**bearer(tokens), "If-Match": await current_etag(client, post["id"], tokens)},
    )
    assert response.json()["title"] == "Second title"
    assert response.json()["slug"] == "first-title"


# One user sends every invalid body: a user per case would cost more than the cases.
INVALID_CREATES: list[tuple[dict[str, Any], str]] = [
    ({"tags": ["Upper"]}, "body.tags.0"),
    ({"tags": ["two words"]}, "body.tags.0"),
    ({"tags": ["ok", "double--hyphen"]}, "body.tags.1"),
    ({"tags": ["-leading"]}, "body.tags.0"),
    ({"tags": [""]}, "body.tags.0"),
    ({"tags": ["x" * 33]}, "body.tags.0"),
    ({"tags": [f"t{n}" for n in range(11)]}, "body.tags"),
    ({"tags": ["same", "other", "same"]}, "body.tags"),
    ({"tags": "not-a-list"}, "body.tags"),
    ({"tags": None}, "body.tags"),
    ({"title": ""}, "body.title"),
    ({"title": "x" * 201}, "body.title"),
    ({"title": None}, "body.title"),
    ({"body": "x" * 100_001}, "body.body"),
    ({"title": "nul \x00 inside"}, "body.title"),
    ({"body": "nul \x00 inside"}, "body.body"),
    ({"tags": ["ok\x00"]}, "body.tags"),
    ({"status": "published"}, "body.status"),
    ({"author_id": str(uuid.uuid4())}, "body.author_id"),
    ({"slug": "chosen"}, "body.slug"),
    ({"comment_count": 5}, "body.comment_count"),
]


async def test_create_names_the_invalid_field(client: httpx.AsyncClient) -> None:
    user, tokens = await user_with_tokens(client)
    for fields, location in INVALID_CREATES:
        body = {"title": "A title", "body": "Words.", **fields}
        response = await client.post(POSTS, json=body, headers=bearer(tokens))
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [location], fields
    mine = await client.get(
        f"/api/v1/users/{user['id']}/posts", params={"status": "all"}, headers=bearer(tokens)
    )
    assert mine.json()["items"] == []


async def test_create_requires_title_and_body(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    response = await client.post(POSTS, json={}, headers=bearer(tokens))
    errors = assert_problem(response, 422)["errors"]
    assert sorted(error["location"] for error in errors) == ["body.body", "body.title"]


async def test_create_accepts_ten_distinct_tags_and_an_empty_body(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    tags = [f"tag-{n}" for n in range(10)]
    post = await create_post(client, tokens, body="", tags=tags)
    assert post["tags"] == tags
    assert post["body"] == ""


async def test_create_requires_authentication(client: httpx.AsyncClient) -> None:
    response = await client.post(POSTS, json={"title": "A title", "body": "Words."})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_published_post_is_public_with_an_etag(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    _, other_tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    for headers in ({}, bearer(other_tokens), bearer(tokens)):
        response = await client.get(f"{POSTS}/{post['id']}", headers=headers)
        assert response.status_code == 200
        assert response.json() == post
        assert response.headers["etag"].startswith('"')


async def test_draft_is_visible_to_its_author_and_admins_only(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    _, tokens = await user_with_tokens(client)
    _, other_tokens = await user_with_tokens(client)
    _, admin_tokens = await admin_with_tokens(client, db)
    post = await create_post(client, tokens)
    url = f"{POSTS}/{post['id']}"
    assert (await client.get(url, headers=bearer(tokens))).json() == post
    assert (await client.get(url, headers=bearer(admin_tokens))).json() == post
    anonymous = assert_problem(await client.get(url), 404)
    other = assert_problem(await client.get(url, headers=bearer(other_tokens)), 404)
    unknown = assert_problem(await client.get(f"{POSTS}/{uuid.uuid4()}"), 404)
    # A draft cannot be told apart from a post that does not exist.
    assert anonymous["detail"] == other["detail"] == unknown["detail"]


async def test_get_rejects_a_malformed_id_and_a_bad_token(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"{POSTS}/not-a-uuid"), 404)
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    bad = await client.get(f"{POSTS}/{post['id']}", headers={"Authorization": "Bearer nope"})
    assert_problem(bad, 401)


async def test_if_none_match_with_the_current_etag_is_304(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    url = f"{POSTS}/{post['id']}"
    etag = await current_etag(client, post["id"])
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["etag"] == etag
    other = await client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.json() == post


@pytest.mark.parametrize("header", ["", "x" * 201])
async def test_an_if_none_match_outside_the_spec_is_422(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await client.get(f"{POSTS}/{uuid.uuid4()}", headers={"If-None-Match": header})
    assert assert_problem(response, 422)["errors"][0]["location"] == "header.If-None-Match"


async def test_an_edit_changes_the_etag_and_ends_the_304s(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    url = f"{POSTS}/{post['id']}"
    old = await current_etag(client, post["id"])
    edited = await client.patch(
        url, json={"body": "New words."}, headers={**bearer(tokens), "If-Match": old}
    )
    assert edited.status_code == 200
    assert edited.headers["etag"] != old
    assert edited.headers["etag"] == await current_etag(client, post["id"])
    response = await client.get(url, headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.json()["body"] == "New words."


async def test_a_draft_is_404_even_with_if_none_match(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    etag = await current_etag(client, post["id"], tokens)
    assert_problem(await client.get(f"{POSTS}/{post['id']}", headers={"If-None-Match": etag}), 404)


async def test_update_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, title="Title", body="Body", tags=["one"])
    etag = await current_etag(client, post["id"], tokens)
    response = await client.patch(
        f"{POSTS}/{post['id']}",
        json={"tags": ["two", "three"]},
        headers={**bearer(tokens), "If-Match": etag},
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["tags"] == ["two", "three"]
    assert (updated["title"], updated["body"], updated["status"]) == ("Title", "Body", "draft")
    assert response.headers["etag"] == await current_etag(client, post["id"], tokens)
    again = await client.get(f"{POSTS}/{post['id']}", headers=bearer(tokens))
    assert again.json() == updated


INVALID_UPDATES: list[tuple[dict[str, Any], str]] = [
    ({"tags": ["dup", "dup"]}, "body.tags"),
    ({"tags": ["Bad"]}, "body.tags.0"),
    ({"tags": None}, "body.tags"),
    ({"title": None}, "body.title"),
    ({"title": ""}, "body.title"),
    ({"body": "a\x00b"}, "body.body"),
    ({"status": "published"}, "body.status"),
]


async def test_update_names_the_invalid_field_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    etag = await current_etag(client, post["id"], tokens)
    for fields, location in INVALID_UPDATES:
        response = await client.patch(
            f"{POSTS}/{post['id']}", json=fields, headers={**bearer(tokens), "If-Match": etag}
        )
        errors = assert_problem(response, 422)["errors"]
        assert [error["location"] for error in errors] == [location], fields
    assert await current_etag(client, post["id"], tokens) == etag


async def _write(
    client: httpx.AsyncClient, method: str, post_id: str, headers: dict[str, str]
) -> httpx.Response:
    if method == "PATCH":
        return await client.patch(f"{POSTS}/{post_id}", json={"title": "Edit"}, headers=headers)
    return await client.delete(f"{POSTS}/{post_id}", headers=headers)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_writes_without_if_match_are_428(client: httpx.AsyncClient, method: str) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    assert_problem(await _write(client, method, post["id"], bearer(tokens)), 428)
    assert (await client.get(f"{POSTS}/{post['id']}", headers=bearer(tokens))).json() == post


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_writes_with_a_stale_etag_are_412(client: httpx.AsyncClient, method: str) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    stale = await current_etag(client, post["id"], tokens)
    first = await client.patch(
        f"{POSTS}/{post['id']}",
        json={"body": "Changed by someone else."},
        headers={**bearer(tokens), "If-Match": stale},
    )
    assert first.status_code == 200
    response = await _write(client, method, post["id"], {**bearer(tokens), "If-Match": stale})
    assert_problem(response, 412)
    current = await client.get(f"{POSTS}/{post['id']}", headers=bearer(tokens))
    assert current.json() == first.json()


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_writes_compare_if_match_strongly(client: httpx.AsyncClient, method: str) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    etag = await current_etag(client, post["id"], tokens)
    weak = await _write(client, method, post["id"], {**bearer(tokens), "If-Match": f"W/{etag}"})
    assert_problem(weak, 412)


async def test_a_new_comment_makes_the_etag_stale(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    etag = await current_etag(client, post["id"])
    await create_comment(client, reader_tokens, post["id"])
    response = await _write(client, "PATCH", post["id"], {**bearer(tokens), "If-Match": etag})
    assert_problem(response, 412)


async def test_update_and_delete_accept_the_current_etag(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    created_etag = await current_etag(client, post["id"], tokens)
    patched = await _write(
        client, "PATCH", post["id"], {**bearer(tokens), "If-Match": f'"nope", {created_etag}'}
    )
    assert patched.status_code == 200
    assert patched.headers["etag"] != created_etag
    deleted = await _write(
        client, "DELETE", post["id"], {**bearer(tokens), "If-Match": patched.headers["etag"]}
    )
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(await client.get(f"{POSTS}/{post['id']}", headers=bearer(tokens)), 404)


async def test_if_match_star_matches_any_version(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    response = await _write(client, "PATCH", post["id"], {**bearer(tokens), "If-Match": "*"})
    assert response.status_code == 200
    assert response.json()["title"] == "Edit"


async def test_the_create_etag_is_good_for_an_edit(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    created = await client.post(POSTS, json={"title": "T", "body": "B"}, headers=bearer(tokens))
    response = await _write(
        client,
        "PATCH",
        created.json()["id"],
        {**bearer(tokens), "If-Match": created.headers["etag"]},
    )
    assert response.status_code == 200


async def test_deleting_a_post_takes_its_comments(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    _, reader_tokens = await user_with_tokens(client)
    post = await create_post(client, tokens, publish=True)
    await create_comment(client, reader_tokens, post["id"])
    etag = await current_etag(client, post["id"])
    assert (
        await _write(client, "DELETE", post["id"], {**bearer(tokens), "If-Match": etag})
    ).status_code == 204
    assert_problem(await client.get(f"{POSTS}/{post['id']}/comments"), 404)
    assert_problem(
        await _write(client, "DELETE", post["id"], {**bearer(tokens), "If-Match": "*"}), 404
    )


async def test_publish_and_unpublish_move_the_post_through_its_life_cycle(
    client: httpx.AsyncClient,
) -> None:
    _, tokens = await user_with_tokens(client)
    post = await create_post(client, tokens)
    url = f"{POSTS}/{post['id']}"

    published = await client.post(f"{url}/publish", headers=bearer(tokens))
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] is not None
    assert published.headers["etag"] == await current_etag(client, post["id"])
    assert (await client.get(url)).json() == published.json()

    unpublished = await client.post(f"{url}/unpublish", headers=bearer(tokens))
    assert unpublished.status_code == 200
    assert unpublished.json()["status"] == "draft"
    assert unpublished.json()["published_at"] is None
    assert unpublished.headers["etag"] == await current_etag(client, post["id"], tokens)
    assert_problem(await client.get(url), 404)

    republished = await client.post(f"{url}/publish", headers=bearer(tokens))
    assert republished.json()["status"] == "published"
    assert republished.json()["published_at"] is not None


async def test_invalid_transitions_are_409_and_change_nothing(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    draft = await create_post(client, tokens)
    assert_problem(
        await client.post(f"{POSTS}/{draft['id']}/unpublish", headers=bearer(tokens)), 409
    )
    published = await create_post(client, tokens, publish=True)
    assert_problem(
        await client.post(f"{POSTS}/{published['id']}/publish", headers=bearer(tokens)), 409
    )
    assert (await client.get(f"{POSTS}/{published['id']}")).json() == published
    assert (await client.get(f"{POSTS}/{draft['id']}", headers=bearer(tokens))).json() == draft


async def test_operations_on_an_unknown_post_are_404(client: httpx.AsyncClient) -> None:
    _, tokens = await user_with_tokens(client)
    url = f"{POSTS}/{uuid.uuid4()}"
    headers = {**bearer(tokens), "If-Match": "*"}
    assert_problem(await client.patch(url, json={"title": "x"}, headers=headers), 404)
    assert_problem(await client.delete(url, headers=headers), 404)
    assert_problem(await client.post(f"{url}/publish", headers=headers), 404)
    assert_problem(await client.post(f"{url}/unpublish", headers=headers), 404)


# Who may do what to a post, by the post's status. `other` is a second ordinary user.
ACTORS = ("anonymous", "other", "owner", "admin")
MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("draft", "get"): (404, 404, 200, 200),
    ("draft", "update"): (401, 404, 200, 200),
    ("draft", "delete"): (401, 404, 204, 204),
    ("draft", "publish"): (401, 404, 200, 200),
    ("draft", "unpublish"): (401, 404, 409, 409),
    ("draft", "list_comments"): (404, 404, 200, 200),
    ("draft", "create_comment"): (401, 404, 409, 409),
    ("published", "get"): (200, 200, 200, 200),
    ("published", "update"): (401, 403, 200, 200),
    ("published", "delete"): (401, 403, 204, 204),
    ("published", "publish"): (401, 403, 409, 409),
    ("published", "unpublish"): (401, 403, 200, 200),
    ("published", "list_comments"): (200, 200, 200, 200),
    ("published", "create_comment"): (401, 201, 201, 201),
}


async def _operate(
    client: httpx.AsyncClient, operation: str, post_id: str, headers: dict[str, str], etag: str
) -> httpx.Response:
    url = f"{POSTS}/{post_id}"
    match operation:
        case "get":
            return await client.get(url, headers=headers)
        case "update":
            return await client.patch(
                url, json={"title": "Changed"}, headers={**headers, "If-Match": etag}
            )
        case "delete":
            return await client.delete(url, headers={**headers, "If-Match": etag})
        case "list_comments":
            return await client.get(f"{url}/comments", headers=headers)
        case "create_comment":
            return await client.post(f"{url}/comments", json={"body": "Hi"}, headers=headers)
        case _:
            return await client.post(f"{url}/{operation}", headers=headers)


MUTATIONS = {"update", "delete", "publish", "unpublish"}


@pytest.mark.parametrize("status", ["draft", "published"])
async def test_authorization_matrix(
    client: httpx.AsyncClient, db: AsyncConnection, status: str
) -> None:
    _, owner_tokens = await user_with_tokens(client)
    _, other_tokens = await user_with_tokens(client)
    _, admin_tokens = await admin_with_tokens(client, db)
    headers = {
        "anonymous": {},
        "other": bearer(other_tokens),
        "owner": bearer(owner_tokens),
        "admin": bearer(admin_tokens),
    }
    post = await create_post(client, owner_tokens, publish=status == "published")
    for (post_status, operation), expectations in MATRIX.items():
        if post_status != status:
            continue
        for actor, expected in zip(ACTORS, expectations, strict=True):
            etag = await current_etag(client, post["id"], owner_tokens)
            response = await _operate(client, operation, post["id"], headers[actor], etag)
            case = (operation, actor, response.text)
            assert response.status_code == expected, case
            if expected >= 400:
                assert_problem(response, expected)
                assert await current_etag(client, post["id"], owner_tokens) == etag, case
            elif operation in MUTATIONS:
                post = await create_post(client, owner_tokens, publish=status == "published")
