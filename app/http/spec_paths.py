"""The spec's path templates as patterns that match request paths."""

import re

_TEMPLATE_PARAMETER = re.compile(r"(\{[^{}/]+\})")


def path_pattern(template: str) -> re.Pattern[str]:
    """`/api/v1/posts/{post_id}` as a pattern a request path matches in full: a parameter is
    one path segment."""
    parts = _TEMPLATE_PARAMETER.split(template)
    return re.compile(
        "".join("[^/]+" if _TEMPLATE_PARAMETER.fullmatch(p) else re.escape(p) for p in parts)
    )
