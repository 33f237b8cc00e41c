"""URL slugs from titles."""

import re
import secrets
import unicodedata

MAX_BASE = 100


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words)[:MAX_BASE].strip("-") or "post"


def with_suffix(slug: str) -> str:
    """A variant for a taken slug; 6 hex digits make a second collision negligible."""
    return f"{slug}-{secrets.token_hex(3)}"
