"""The web pages for the three users (scan station staff, counter officers, citizens), served by `sohoa
serve` beside the API: rendered on the server in Vietnamese (English switchable), with our own small CSS
and script under /static that call the same JSON API with the session's CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from sohoa.api.web import citizen, indicators, officer, package_import, session, staff
from sohoa.api.web.render import NotForYou, SignInFirst, lang_of, page, to_login

PAGE_MODULES = (session, officer, citizen, staff, indicators, package_import)
router = APIRouter(include_in_schema=False)
for module in PAGE_MODULES:
    router.include_router(module.router)


def is_web(request: Request) -> bool:
    """A request for a page (not the API, not a static file)."""
    return not request.url.path.startswith(("/api/", "/static/", "/docs", "/openapi", "/redoc"))


def error_page(request: Request, status: int, vi: str, en: str) -> HTMLResponse:
    return page(request, "error.html", status=status, message=en if lang_of(request) == "en" else vi)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(SignInFirst)
    async def sign_in_first(_: Request, exc: SignInFirst) -> Response:
        return to_login(exc)

    @app.exception_handler(NotForYou)
    async def not_for_you(request: Request, exc: NotForYou) -> Response:
        return error_page(request, exc.http_status, exc.vi, exc.en)
