"""The interactive docs (Swagger UI at /docs, its OAuth2 redirect page, ReDoc at /redoc), served
with their scripts and stylesheet from this server: they work on a machine that cannot reach a
CDN, and what they run is the version pinned here, not whatever a CDN serves that day.

The assets come from the `fastapi-offline` package (pinned in pyproject.toml: Swagger UI 5,
ReDoc 2, a favicon), which exists to carry exactly these files; the pages are FastAPI's own
(`get_swagger_ui_html`, `get_redoc_html`) pointed at them. ReDoc renders with the system fonts
(no Google Fonts).
"""

from importlib import resources

from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ASSETS_PATH = "/docs/assets"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
_ASSETS = resources.files("fastapi_offline") / "static"
# A release pins the assets, so a browser may keep them a day.
_ASSET_CACHING = {"Cache-Control": "public, max-age=86400"}


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers.update(_ASSET_CACHING)
        return response


def _asset(request: Request, name: str) -> str:
    return f"{request.scope.get('root_path', '')}{ASSETS_PATH}/{name}"


def _title(request: Request) -> str:
    return str(request.app.title)


async def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{_title(request)} - Swagger UI",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
        swagger_js_url=_asset(request, "swagger-ui-bundle.js"),
        swagger_css_url=_asset(request, "swagger-ui.css"),
        swagger_favicon_url=_asset(request, "favicon.png"),
        swagger_ui_parameters=request.app.swagger_ui_parameters,
    )


async def swagger_ui_redirect(request: Request) -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


async def redoc(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{_title(request)} - ReDoc",
        redoc_js_url=_asset(request, "redoc.standalone.js"),
        redoc_favicon_url=_asset(request, "favicon.png"),
        with_google_fonts=False,
    )


ROUTES: tuple[BaseRoute, ...] = (
    Route("/docs", swagger_ui, methods=["GET"], include_in_schema=False),
    Route(OAUTH2_REDIRECT_PATH, swagger_ui_redirect, methods=["GET"], include_in_schema=False),
    Route("/redoc", redoc, methods=["GET"], include_in_schema=False),
    Mount(ASSETS_PATH, app=_Assets(directory=str(_ASSETS)), name="docs_assets"),
)
