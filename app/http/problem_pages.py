"""The page each problem type's URI names (`GET /problems/{slug}`): what it means, what to do.

Plain HTML without scripts or styles from elsewhere, for a person who follows a `type` from
a log or an error report; programs match the URI itself.
"""

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app.errors import NotFound
from app.http.problem_types import BY_SLUG

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - Inkwell API</title></head>
<body><h1>{title}</h1><p>HTTP status {status}. Problem type <code>{uri}</code>.</p>
<p>{explanation}</p></body></html>
"""


async def problem_page(request: Request) -> Response:
    problem = BY_SLUG.get(request.path_params["slug"])
    if problem is None:
        raise NotFound("No such problem type.")
    page = _PAGE.format(
        title=escape(problem.title),
        status=int(problem.status),
        uri=escape(problem.uri),
        explanation=escape(problem.explanation),
    )
    # Public and never changing within a release: caches may keep it a day.
    return HTMLResponse(page, headers={"Cache-Control": "public, max-age=86400"})


ROUTE = Route("/problems/{slug}", problem_page, methods=["GET"], name="problem_page")
