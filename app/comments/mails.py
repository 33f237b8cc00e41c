"""The mail a post's author gets about a comment (they can opt out in their profile)."""

import uuid

from app.config import Settings
from app.jobs.mail import Mail, new_mail

EXCERPT = 500  # characters of the comment quoted in the mail


def new_comment(
    settings: Settings,
    to: str,
    post_id: uuid.UUID,
    post_title: str,
    commenter: str,
    body: str,
) -> Mail:
    quoted = body if len(body) <= EXCERPT else body[:EXCERPT] + "\u2026"
    link = f"{settings.app_url.rstrip('/')}/posts/{post_id}"
    text = (
        f"{commenter} commented on your post \u201c{post_title}\u201d:\n\n{quoted}\n\n"
        f"Read it and reply here:\n\n{link}\n\n"
        "To stop these mails, turn off comment notifications in your profile.\n"
    )
    return new_mail(to, f"New comment on \u201c{post_title}\u201d", text)
