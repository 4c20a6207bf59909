"""The login page, the home page (each role goes to its own pages) and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.web.i18n import LANGS
from sohoa.api.web.render import LANG_COOKIE, page, signed_in
from sohoa.records.access import Role

router = APIRouter()

HOME = {Role.STAFF: "/scan", Role.OFFICER: "/search", Role.CITIZEN: "/my", Role.ADMIN: "/indicators"}


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: `//host` and `http://` would send the person elsewhere after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    return page(request, "login.html", next=safe_next(next) or "/")


@router.get("/")
def home(request: Request) -> Response:
    who = signed_in(request)
    return RedirectResponse(HOME[who.role], status_code=303)


@router.get("/lang/{lang}")
def choose_language(lang: str, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
