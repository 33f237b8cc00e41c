"""The full flow with the client openapi-python-client generates from openapi/openapi.yaml.

Run it under a live server (`INKWELL_BASE_URL`, `INKWELL_MAIL_DIR`), after generating the
package into generated/python/ (see README.md): register, verify the mailed link, log in,
create a post with an Idempotency-Key, update it with If-Match, publish it, read it publicly,
list posts, comment, refresh the token and log out. Every step goes through the generated
functions and models; a step that answers anything else stops the flow with exit status 1.
"""

import os
import re
import sys
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "generated" / "python"))

from inkwell_opc import AuthenticatedClient, Client  # noqa: E402
from inkwell_opc.api.auth import (  # noqa: E402
    issue_token,
    logout,
    refresh_token,
    register_user,
    verify_email,
)
from inkwell_opc.api.comments import create_comment, list_comments  # noqa: E402
from inkwell_opc.api.posts import (  # noqa: E402
    create_post,
    get_post,
    list_posts,
    publish_post,
    update_post,
)
from inkwell_opc.api.users import get_current_user  # noqa: E402
from inkwell_opc.models import (  # noqa: E402
    Accepted,
    Comment,
    CommentCreate,
    CommentPage,
    EmailVerification,
    Post,
    PostCreate,
    PostPage,
    PostStatus,
    PostUpdate,
    Problem,
    ProblemType,
    RefreshRequest,
    TokenPair,
    TokenRequest,
    TokenRequestGrantType,
    User,
    UserCreate,
)
from inkwell_opc.types import Response  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 - the flow's own throw-away account
MAIL_WAIT_SECONDS = 20
T = TypeVar("T")


class FlowError(Exception):
    """A step did not answer what the contract promises."""


def expect(answer: Response[Any], status: HTTPStatus, kind: type[T], step: str) -> T:
    """The parsed body of `answer`, which must have `status` and parse as `kind`."""
    if answer.status_code != status or not isinstance(answer.parsed, kind):
        body = answer.content[:500].decode("utf-8", "replace")
        raise FlowError(f"{step}: expected {int(status)}, got {int(answer.status_code)}: {body}")
    print(f"  ok  {step} ({int(status)})", flush=True)
    return answer.parsed


def expect_empty(answer: Response[Any], status: HTTPStatus, step: str) -> None:
    if answer.status_code != status or answer.content:
        raise FlowError(f"{step}: expected an empty {int(status)}, got {int(answer.status_code)}")
    print(f"  ok  {step} ({int(status)})", flush=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise FlowError(what)


def mailed_token(to: str, page: str) -> str:
    """The `token` of the newest mailed link to `page` for `to`, waiting for the worker."""
    folder = Path(os.environ["INKWELL_MAIL_DIR"])
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml"), reverse=True):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            if to.lower() not in str(message["To"]).lower():
                continue
            body = message.get_body(preferencelist=("plain",))
            text = str(body.get_content()) if body is not None else ""
            links: list[str] = re.findall(r"https?://[^\s<>\"']+", text)
            for link in links:
                parts = urlsplit(link)
                token = parse_qs(parts.query).get("token")
                if parts.path.rstrip("/").endswith(f"/{page}") and token:
                    return token[0]
        time.sleep(0.1)
    raise FlowError(f"no mail to {to} with a /{page} link within {MAIL_WAIT_SECONDS} s")


def flow(base_url: str) -> None:
    public = Client(base_url=base_url, raise_on_unexpected_status=True)
    email = f"opc-{uuid.uuid4()}@example.com"

    accepted = register_user.sync_detailed(
        client=public, body=UserCreate(email=email, password=PASSWORD, display_name="Ada (opc)")
    )
    expect(accepted, HTTPStatus.ACCEPTED, Accepted, "registerUser")

    verified = verify_email.sync_detailed(
        client=public, body=EmailVerification(token=mailed_token(email, "verify-email"))
    )
    expect_empty(verified, HTTPStatus.NO_CONTENT, "verifyEmail with the mailed token")

    # The token endpoint takes the OAuth2 form: the generated function sends it as one.
    login = issue_token.sync_detailed(
        client=public,
        body=TokenRequest(
            username=email, password=PASSWORD, grant_type=TokenRequestGrantType.PASSWORD
        ),
    )
    tokens = expect(login, HTTPStatus.OK, TokenPair, "issueToken (form)")
    author = AuthenticatedClient(
        base_url=base_url, token=tokens.access_token, raise_on_unexpected_status=True
    )
    me = expect(
        get_current_user.sync_detailed(client=author), HTTPStatus.OK, User, "getCurrentUser"
    )
    check(me.email_verified, "the account is not verified after verifyEmail")

    key = str(uuid.uuid4())
    draft = PostCreate(title="Generated in Python", body="Written by openapi-python-client.")
    created = create_post.sync_detailed(client=author, body=draft, idempotency_key=key)
    post = expect(created, HTTPStatus.CREATED, Post, "createPost with Idempotency-Key")
    replayed = create_post.sync_detailed(client=author, body=draft, idempotency_key=key)
    replay = expect(replayed, HTTPStatus.CREATED, Post, "createPost replayed with the same key")
    check(replay.id == post.id, "the replay created a second post: Idempotency-Key was not sent")

    read = get_post.sync_detailed(post.id, client=author)
    expect(read, HTTPStatus.OK, Post, "getPost (the draft, as its author)")
    etag = read.headers.get("ETag")
    check(bool(etag), "getPost answered no ETag")
    assert etag is not None
    stale = update_post.sync_detailed(
        post.id, client=author, body=PostUpdate(title="Stale"), if_match='"not-the-etag"'
    )
    expect(stale, HTTPStatus.PRECONDITION_FAILED, Problem, "updatePost with a stale If-Match")
    updated = update_post.sync_detailed(
        post.id, client=author, body=PostUpdate(title="Updated in Python"), if_match=etag
    )
    check(
        expect(updated, HTTPStatus.OK, Post, "updatePost with If-Match").title
        == "Updated in Python",
        "updatePost did not change the title",
    )
    published = publish_post.sync_detailed(post.id, client=author)
    check(
        expect(published, HTTPStatus.OK, Post, "publishPost").status == PostStatus.PUBLISHED,
        "publishPost did not publish",
    )

    # Reads that take a token but need none (`security: [{}, bearerAuth, ...]` in the spec) are
    # typed by openapi-python-client as needing an AuthenticatedClient: it only asks whether
    # `security` is empty. They work with a plain Client; hence the `type: ignore`s below.
    public_read = get_post.sync_detailed(post.id, client=public)  # type: ignore[arg-type]
    seen = expect(public_read, HTTPStatus.OK, Post, "getPost (published, anonymous)")
    check(seen.title == "Updated in Python", "the public read shows another title")
    fresh = get_post.sync_detailed(
        post.id,
        client=public,  # type: ignore[arg-type]
        if_none_match=public_read.headers["ETag"],
    )
    check(fresh.status_code == HTTPStatus.NOT_MODIFIED, "If-None-Match with the ETag is not 304")
    print("  ok  getPost with If-None-Match (304)", flush=True)

    page = expect(
        list_posts.sync_detailed(client=public, author_id=me.id, limit=10),  # type: ignore[arg-type]
        HTTPStatus.OK,
        PostPage,
        "listPosts",
    )
    check([item.id for item in page.items] == [post.id], "listPosts does not list the post")

    comment = expect(
        create_comment.sync_detailed(
            post.id,
            client=author,
            body=CommentCreate(body="A comment from Python."),
            idempotency_key=str(uuid.uuid4()),
        ),
        HTTPStatus.CREATED,
        Comment,
        "createComment",
    )
    comments = expect(
        list_comments.sync_detailed(post.id, client=public),  # type: ignore[arg-type]
        HTTPStatus.OK,
        CommentPage,
        "listComments",
    )
    check([item.id for item in comments.items] == [comment.id], "listComments misses it")

    renewed = expect(
        refresh_token.sync_detailed(
            client=public, body=RefreshRequest(refresh_token=tokens.refresh_token)
        ),
        HTTPStatus.OK,
        TokenPair,
        "refreshToken",
    )
    check(renewed.refresh_token != tokens.refresh_token, "refreshToken did not rotate")
    renewed_author = AuthenticatedClient(base_url=base_url, token=renewed.access_token)
    expect(
        get_current_user.sync_detailed(client=renewed_author),
        HTTPStatus.OK,
        User,
        "getCurrentUser with the refreshed token",
    )

    out = logout.sync_detailed(
        client=renewed_author, body=RefreshRequest(refresh_token=renewed.refresh_token)
    )
    expect_empty(out, HTTPStatus.NO_CONTENT, "logout")
    after = expect(
        get_current_user.sync_detailed(client=renewed_author),
        HTTPStatus.UNAUTHORIZED,
        Problem,
        "getCurrentUser after logout is refused",
    )
    check(isinstance(after.type_, ProblemType), "the 401 problem has no typed `type`")


def main() -> int:
    base_url = os.environ.get("INKWELL_BASE_URL")
    if not base_url or not os.environ.get("INKWELL_MAIL_DIR"):
        print("run this under `python -m contracts_tests.live_server --`", file=sys.stderr)
        return 2
    print("openapi-python-client:", flush=True)
    try:
        flow(base_url)
    except FlowError as error:
        print(f"  FAILED  {error}", file=sys.stderr, flush=True)
        return 1
    print("openapi-python-client: the full flow passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
