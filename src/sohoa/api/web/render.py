"""Rendering a web page: the Jinja2 templates (autoescaped), the language (a cookie, Vietnamese unless the
person chose English), who is signed in, and the CSRF token the page's script sends back on every change.
A page for a role the person does not have answers 403; a person not signed in is sent to the login page."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from sohoa.api.auth import csrf_token
from sohoa.api.backends import Backends
from sohoa.api.web.i18n import LANGS, text
from sohoa.errors import Forbidden, Unauthorized
from sohoa.records.access import Principal, Role
from sohoa.records.titles import paper_title

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["paper_title"] = paper_title
LANG_COOKIE = "sohoa_lang"


class SignInFirst(Unauthorized):
    """A web page for signed-in people, asked for by no one signed in: answered by the way to sign in."""

    def __init__(self, path: str) -> None:
        super().__init__("Hãy đăng nhập trước", "sign in first")
        self.path = path

    def __reduce__(self) -> tuple[type[SignInFirst], tuple[str]]:  # type: ignore[override]
        return type(self), (self.path,)


class NotForYou(Forbidden):
    """A web page for other roles than the one signed in."""

    def __init__(self) -> None:
        super().__init__("Bạn không có quyền xem trang này.", "You may not see this page.")

    def __reduce__(self) -> tuple[type[NotForYou], tuple[()]]:  # type: ignore[override]
        return type(self), ()


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "vi")
    return lang if lang in LANGS else "vi"


def backends_of(request: Request) -> Backends:
    return request.app.state.backends


def signed_in(request: Request, *roles: Role) -> Principal:
    """The person signed in, if they have one of `roles`."""
    who: Principal | None = getattr(request.state, "principal", None)
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInFirst(target)
    if roles and who.role not in roles:
        raise NotForYou
    return who


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    session_id = getattr(request.state, "session_id", None)
    base = {
        "who": getattr(request.state, "principal", None),
        "lang": lang,
        "t": partial(text, lang),
        "csrf": csrf_token(backends_of(request), session_id) if session_id else "",
        "path": request.url.path,
    }
    response = TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status)
    # Pages show personal records: never kept by a shared browser's cache or framed by another site.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'"
    )
    return response


def to_login(exc: SignInFirst) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(exc.path, safe='/')}", status_code=303)
