"""API1:2023 Broken Object Level Authorization.

Every operation that takes an object id (`post_id`, `comment_id`, `user_id`) must check that
the caller may act on *that* object. In Inkwell: drafts are their author's (and admins'); a
comment may be deleted by its author, the post's author or an admin; an account is readable by
itself and admins. Objects the caller may not see answer exactly as objects that do not exist
(404, same problem), so ids cannot be probed; objects the caller sees but may not change answer
403. Here an ordinary signed-in user attacks another user's objects by id.

Also covered elsewhere:
- tests/test_posts.py::test_authorization_matrix: status of every post operation by actor.
- tests/test_posts.py::test_draft_is_visible_to_its_author_and_admins_only (GET only).
- tests/test_comments.py::test_others_may_not_delete_a_comment (403 on a visible post).
- tests/test_post_lists.py::test_user_drafts_are_for_the_owner_and_admins (403 on drafts).
- tests/test_users.py::test_get_user_is_visible_to_self_and_admins_only.
- tests/test_idempotency.py::test_keys_are_scoped_to_the_caller (a key names one caller's).
"""

from typing import Any

import httpx
import pytest

from tests.helpers import (
    POSTS,
    assert_problem,
    bearer,
    create_comment,
    create_post,
    current_etag,
    user_with_tokens,
)
from tests.owasp.support import random_id, same_problem

SECRET_TITLE = "Unannounced merger with Globex"


async def _probe(
    client: httpx.AsyncClient, probe: str, post_id: str, headers: dict[str, str]
) -> httpx.Response:
    url = f"{POSTS}/{post_id}"
    match probe:
        case "get":
            return await client.get(url, headers=headers)
        case "get-if-none-match":
            return await client.get(url, headers={**headers, "If-None-Match": "*"})
        case "patch":
            return await client.patch(url, json={"title": "Mine now"}, headers=headers)
        case "patch-if-match":
            return await client.patch(
                url, json={"title": "Mine now"}, headers={**headers, "If-Match": "*"}
            )
        case "patch-stale":
            return await client.patch(
                url, json={"title": "Mine now"}, headers={**headers, "If-Match": '"stale"'}
            )
        case "delete":
            return await client.delete(url, headers=headers)
        case "delete-if-match":
            return await client.delete(url, headers={**headers, "If-Match": "*"})
        case "list-comments":
            return await client.get(f"{url}/comments", headers=headers)
        case "comment":
            return await client.post(f"{url}/comments", json={"body": "Hi"}, headers=headers)
        case _:  # publish, unpublish
            return await client.post(f"{url}/{probe}", headers=headers)


PROBES = [
    "get",
    "get-if-none-match",
    "patch",
    "patch-if-match",
    "patch-stale",
    "delete",
    "delete-if-match",
    "publish",
    "unpublish",
    "list-comments",
    "comment",
]


@pytest.mark.parametrize("probe", PROBES)
async def test_another_users_draft_answers_as_if_it_did_not_exist(
    client: httpx.AsyncClient, probe: str
) -> None:
    """Whatever the attacker sends (with or without preconditions, which are checked only
    once the post is visible), the draft's answer is the 404 of a random id, and the draft is
    unchanged."""
    _, owner = await user_with_tokens(client)
    _, attacker = await user_with_tokens(client)
    draft = await create_post(client, owner, title=SECRET_TITLE)
    etag = await current_etag(client, draft["id"], owner)

    answer = await _probe(client, probe, draft["id"], bearer(attacker))
    unknown = await _probe(client, probe, random_id(), bearer(attacker))
    assert_problem(answer, 404)
    assert same_problem(answer, unknown), (answer.text, unknown.text)
    assert SECRET_TITLE not in answer.text
    assert await current_etag(client, draft["id"], owner) == etag


async def test_an_unpublished_posts_comments_cannot_be_deleted_by_id_by_others(
    client: httpx.AsyncClient,
) -> None:
    """The comment's own author included: once the post is a draft again it is invisible to
    them, and so is everything under it."""
    _, owner = await user_with_tokens(client)
    _, commenter = await user_with_tokens(client)
    post = await create_post(client, owner, publish=True)
    comment = await create_comment(client, commenter, post["id"], "First!")
    unpublished = await client.post(f"{POSTS}/{post['id']}/unpublish", headers=bearer(owner))
    assert unpublished.status_code == 200

    url = f"{POSTS}/{post['id']}/comments/{comment['id']}"
    answer = await client.delete(url, headers=bearer(commenter))
    unknown = await client.delete(
        f"{POSTS}/{random_id()}/comments/{comment['id']}", headers=bearer(commenter)
    )
    assert_problem(answer, 404)
    assert same_problem(answer, unknown)
    listed = await client.get(f"{POSTS}/{post['id']}/comments", headers=bearer(owner))
    assert [item["id"] for item in listed.json()["items"]] == [comment["id"]]


async def test_a_comment_cannot_be_deleted_through_a_post_the_attacker_owns(
    client: httpx.AsyncClient,
) -> None:
    """A post's author may delete comments on *their* post. Naming the victim's comment under
    the attacker's own post must not borrow that right: the pair does not exist, 404."""
    _, victim = await user_with_tokens(client)
    _, attacker = await user_with_tokens(client)
    victims_post = await create_post(client, victim, publish=True)
    comment = await create_comment(client, victim, victims_post["id"], "Mine.")
    attackers_post = await create_post(client, attacker, publish=True)

    direct = await client.delete(
        f"{POSTS}/{victims_post['id']}/comments/{comment['id']}", headers=bearer(attacker)
    )
    assert_problem(direct, 403)
    borrowed = await client.delete(
        f"{POSTS}/{attackers_post['id']}/comments/{comment['id']}", headers=bearer(attacker)
    )
    unknown = await client.delete(
        f"{POSTS}/{attackers_post['id']}/comments/{random_id()}", headers=bearer(attacker)
    )
    assert_problem(borrowed, 404)
    assert same_problem(borrowed, unknown)

    listed = await client.get(f"{POSTS}/{victims_post['id']}/comments")
    assert [item["id"] for item in listed.json()["items"]] == [comment["id"]]
    post = await client.get(f"{POSTS}/{victims_post['id']}")
    assert post.json()["comment_count"] == 1


async def test_another_account_answers_as_if_it_did_not_exist(client: httpx.AsyncClient) -> None:
    victim, _ = await user_with_tokens(client)
    _, attacker = await user_with_tokens(client)
    answer = await client.get(f"/api/v1/users/{victim['id']}", headers=bearer(attacker))
    unknown = await client.get(f"/api/v1/users/{random_id()}", headers=bearer(attacker))
    assert_problem(answer, 404)
    assert same_problem(answer, unknown)
    assert victim["email"] not in answer.text


@pytest.mark.parametrize("status", ["draft", "all"])
async def test_another_users_drafts_cannot_be_listed_or_searched(
    client: httpx.AsyncClient, status: str
) -> None:
    """The list that shows drafts is refused (403: the user's public list exists), and no
    other list or search lets a draft through."""
    victim, victim_tokens = await user_with_tokens(client)
    _, attacker = await user_with_tokens(client)
    published = await create_post(client, victim_tokens, publish=True, title="Quarterly notes")
    await create_post(client, victim_tokens, title=SECRET_TITLE, body="Globex merger terms.")

    for headers in (bearer(attacker), {}):
        refused = await client.get(
            f"/api/v1/users/{victim['id']}/posts", params={"status": status}, headers=headers
        )
        assert_problem(refused, 403)
        assert SECRET_TITLE not in refused.text

    reads: list[tuple[str, dict[str, Any]]] = [
        (f"/api/v1/users/{victim['id']}/posts", {}),
        (POSTS, {"author_id": victim["id"]}),
        (POSTS, {"q": "Globex merger"}),
        (POSTS, {"q": "unannounced"}),
    ]
    for url, params in reads:
        response = await client.get(url, params={**params, "limit": 100}, headers=bearer(attacker))
        assert response.status_code == 200, response.text
        assert {item["id"] for item in response.json()["items"]} <= {published["id"]}
        assert SECRET_TITLE not in response.text


async def test_a_draft_cursor_does_not_open_the_draft_list_to_others(
    client: httpx.AsyncClient,
) -> None:
    """A cursor the owner got from their draft list (a shared link, a log line) is no pass."""
    victim, victim_tokens = await user_with_tokens(client)
    _, attacker = await user_with_tokens(client)
    for n in range(3):
        await create_post(client, victim_tokens, title=f"{SECRET_TITLE} {n}")
    url = f"/api/v1/users/{victim['id']}/posts"
    first = await client.get(
        url, params={"status": "draft", "limit": 1}, headers=bearer(victim_tokens)
    )
    cursor = first.json()["next_cursor"]
    assert cursor

    as_drafts = await client.get(
        url, params={"status": "draft", "limit": 1, "cursor": cursor}, headers=bearer(attacker)
    )
    assert_problem(as_drafts, 403)
    as_published = await client.get(
        url, params={"limit": 1, "cursor": cursor}, headers=bearer(attacker)
    )
    assert_problem(as_published, 400)  # a cursor only fits the list it came from
    assert SECRET_TITLE not in as_drafts.text + as_published.text
