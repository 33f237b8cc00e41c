"""The query parameters every list takes (`limit`, `cursor`, `sort`), as the contract states
them; the paging itself is data access (app.db.pagination)."""

from typing import Annotated, Literal

from fastapi import Query

LimitQuery = Annotated[int, Query(ge=1, le=100)]
CursorQuery = Annotated[str | None, Query(min_length=1, max_length=512)]
SortQuery = Annotated[Literal["newest", "oldest"], Query()]
