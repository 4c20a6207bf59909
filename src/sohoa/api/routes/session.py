"""Signing in for the web pages (a session cookie with a CSRF token), signing out, who am I, and (for a
citizen) who read my papers."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from sohoa.api.auth import CSRF_HEADER, SESSION_COOKIE, WhoDep, csrf_token, note
from sohoa.api.deps import BackendsDep
from sohoa.archive.accounts import check_password, issue_token, revoke_token
from sohoa.archive.audit import PaperReads, owner_reads
from sohoa.errors import Unauthorized
from sohoa.records.access import AuditAction, Role, TokenKind

router = APIRouter(tags=["session"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    role: Role
    agency: str | None = None
    personal_id: str | None = None


class Session(Me):
    csrf_token: str = Field(description=f"send back in the {CSRF_HEADER} header on every change")


@router.post("/auth/login", response_model=Session)
def login(body: Login, request: Request, response: Response, backends: BackendsDep) -> Session:
    """Check the password, start a session: an HttpOnly, SameSite=Strict cookie, and a CSRF token."""
    address = request.client.host if request.client else "-"
    username = body.username.strip().lower()
    note(request, record=username[:40])
    backends.throttle.check(address, username)
    user = check_password(backends.store, username, body.password)
    if user is None:
        backends.throttle.failed(address, username)
        request.state.audit.action = AuditAction.LOGIN_FAILED
        request.state.audit.actor = username[:40]
        raise Unauthorized("Sai tên đăng nhập hoặc mật khẩu", "wrong username or password")
    backends.throttle.succeeded(address, username)
    request.state.audit.actor, request.state.audit.role = user.username, user.role
    hours = backends.settings.session_hours
    token, credential = issue_token(
        backends.store, user.username, lifetime=timedelta(hours=hours), kind=TokenKind.SESSION
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        secure=backends.settings.cookie_secure,
        samesite="strict",
        path="/",
    )
    return Session(
        username=user.username,
        role=user.role,
        agency=user.agency,
        personal_id=user.personal_id,
        csrf_token=csrf_token(backends, credential.id),
    )


@router.post("/auth/logout", status_code=204)
def logout(request: Request, who: WhoDep, backends: BackendsDep) -> Response:
    session_id = getattr(request.state, "session_id", None)
    if session_id:
        revoke_token(backends.store, session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=backends.settings.cookie_secure, httponly=True)
    return response


@router.get("/me", response_model=Me)
def me(who: WhoDep) -> Me:
    return Me(username=who.username, role=who.role, agency=who.agency, personal_id=who.personal_id)


@router.get("/me/reads", response_model=PaperReads)
def my_reads(
    backends: BackendsDep,
    who: WhoDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> PaperReads:
    """A citizen: who read which of their papers, when, and through which dossier (newest first)."""
    if not who.personal_id:
        return PaperReads(total=0, reads=[])
    return owner_reads(backends.index, who.personal_id, username=who.username, limit=limit, offset=offset)
