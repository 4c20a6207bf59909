"""Access control in one place: who is calling (API token or session cookie), whether their role may call
this route at all (the POLICY table), and what the audit trail will say about the call.

`authorize` is a dependency of the whole app, so every route passes through it; a route missing from POLICY
is refused to everyone (a test checks that every route in the OpenAPI schema has a rule). Record-level rules
(whose papers, which agency) are in `api.access`, applied by the routes on the record they load.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.routing import compile_path

from sohoa.api.backends import Backends
from sohoa.api.deps import BackendsDep
from sohoa.archive.accounts import authenticate
from sohoa.errors import Forbidden, Unauthorized
from sohoa.records.access import AuditAction, Principal, Role, TokenKind

SESSION_COOKIE = "sohoa_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

STF, OFF, CIT, ADM = Role.STAFF, Role.OFFICER, Role.CITIZEN, Role.ADMIN


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role] | None  # None: public (no credentials needed)
    action: AuditAction | None = None  # audited as this action
    record: str | None = None  # the path parameter naming the record, for the trail


def _rule(roles: set[Role] | None, action: AuditAction | None = None, record: str | None = None) -> Rule:
    return Rule(frozenset(roles) if roles is not None else None, action, record)


V = AuditAction
POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/health"): _rule(None),
    ("GET", "/api/v1/ready"): _rule(None),
    ("POST", "/api/v1/auth/login"): _rule(None, V.LOGIN),
    ("POST", "/api/v1/auth/logout"): _rule(set(Role), V.LOGOUT),
    ("GET", "/api/v1/me"): _rule(set(Role)),
    ("GET", "/api/v1/me/reads"): _rule({CIT}),
    ("POST", "/api/v1/documents"): _rule({STF}, V.INGEST),
    ("GET", "/api/v1/documents/{doc_id}"): _rule({STF, OFF, CIT}, V.VIEW, "doc_id"),
    ("PATCH", "/api/v1/documents/{doc_id}"): _rule({OFF}, V.EDIT, "doc_id"),
    ("GET", "/api/v1/documents/{doc_id}/pdf"): _rule({STF, OFF, CIT}, V.DOWNLOAD, "doc_id"),
    ("GET", "/api/v1/documents/{doc_id}/download-link"): _rule({STF, OFF, CIT}, V.DOWNLOAD, "doc_id"),
    ("GET", "/api/v1/documents/{doc_id}/master"): _rule({STF, OFF, CIT}, V.DOWNLOAD, "doc_id"),
    ("GET", "/api/v1/files/{token}"): _rule(None, V.DOWNLOAD),  # the signed link is the credential
    ("POST", "/api/v1/documents/{doc_id}/revoke"): _rule({OFF}, V.REVOKE, "doc_id"),
    ("POST", "/api/v1/documents/{doc_id}/fields/confirm"): _rule({OFF}, V.EDIT, "doc_id"),
    ("POST", "/api/v1/documents/{doc_id}/sign"): _rule({STF, OFF}, V.SIGN, "doc_id"),
    ("GET", "/api/v1/documents/{doc_id}/signatures"): _rule({STF, OFF, CIT}, V.VIEW, "doc_id"),
    ("GET", "/api/v1/pages/{doc_id}/{number}/image"): _rule({STF, OFF, CIT}, V.VIEW, "doc_id"),
    ("GET", "/api/v1/pages/{doc_id}/{number}/words"): _rule({STF, OFF, CIT}, V.VIEW, "doc_id"),
    ("GET", "/api/v1/search"): _rule({STF, OFF, CIT}, V.SEARCH),
    ("GET", "/api/v1/batches"): _rule({STF, OFF}),
    ("POST", "/api/v1/batches"): _rule({STF}, V.INGEST),
    ("POST", "/api/v1/batches/scan"): _rule({STF}, V.INGEST),
    ("POST", "/api/v1/batches/folder"): _rule({STF}, V.INGEST),
    ("GET", "/api/v1/batches/{batch_id}"): _rule({STF, OFF}, V.VIEW, "batch_id"),
    ("GET", "/api/v1/batches/{batch_id}/pages/{number}"): _rule({STF, OFF}, V.VIEW, "batch_id"),
    ("GET", "/api/v1/batches/{batch_id}/pages/{number}/image"): _rule({STF, OFF}, V.VIEW, "batch_id"),
    ("POST", "/api/v1/batches/{batch_id}/pages/{number}/fix"): _rule({STF}, V.EDIT, "batch_id"),
    ("GET", "/api/v1/batches/{batch_id}/events"): _rule({STF, OFF}, V.VIEW, "batch_id"),
    ("POST", "/api/v1/batches/{batch_id}/groups/{group}/assign"): _rule({STF}, V.EDIT, "batch_id"),
    ("POST", "/api/v1/dossiers"): _rule({OFF}, V.CREATE),
    ("GET", "/api/v1/dossiers/{code}"): _rule({STF, OFF, CIT}, V.VIEW, "code"),
    ("POST", "/api/v1/dossiers/{code}/status"): _rule({OFF}, V.EDIT, "code"),
    ("POST", "/api/v1/dossiers/{code}/reuse"): _rule({OFF, CIT}, V.REUSE, "code"),
    ("GET", "/api/v1/dossiers/{code}/package"): _rule({STF, OFF, CIT}, V.DOWNLOAD, "code"),
    ("POST", "/api/v1/packages"): _rule({STF, ADM}, V.IMPORT),
    ("GET", "/api/v1/owners/{owner_id}/documents"): _rule({OFF, CIT}, V.VIEW, "owner_id"),
    ("GET", "/api/v1/metrics/digitization"): _rule({OFF, ADM}),
    ("GET", "/api/v1/audit"): _rule({ADM}, V.AUDIT),
    ("GET", "/api/v1/users"): _rule({ADM}),
    ("GET", "/api/v1/jobs"): _rule({STF, OFF, ADM}),
    ("GET", "/api/v1/jobs/{job_id}"): _rule({STF, OFF, ADM}),
    ("POST", "/api/v1/subscriptions"): _rule({ADM}, V.CREATE),
    ("GET", "/api/v1/subscriptions"): _rule({ADM}),
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): _rule({ADM}, V.EDIT, "subscription_id"),
    ("GET", "/api/v1/subscriptions/{subscription_id}/deliveries"): _rule({ADM}),
}


# The web pages pass the gate as anyone; each page then checks the role itself, so that a person not signed in
# is sent to the login page and a wrong role gets a page saying so, not a problem document. Their reads are
# audited like the API's.
WEB_POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/"): _rule(None),
    ("GET", "/login"): _rule(None),
    ("GET", "/lang/{lang}"): _rule(None),
    ("GET", "/search"): _rule(None, V.SEARCH),
    ("GET", "/documents/{doc_id}"): _rule(None, V.VIEW, "doc_id"),
    ("GET", "/dossiers/new"): _rule(None),
    ("GET", "/dossiers/{code}"): _rule(None, V.VIEW, "code"),
    ("GET", "/my"): _rule(None, V.VIEW),
    ("GET", "/scan"): _rule(None),
    ("GET", "/scan/{batch_id}"): _rule(None, V.VIEW, "batch_id"),
    ("GET", "/scan/{batch_id}/thumbnails"): _rule(None),
    ("GET", "/indicators"): _rule(None),
    ("GET", "/packages/import"): _rule(None),  # the import itself is POST /api/v1/packages
}
# What operators' tools read, outside the API's schema: Prometheus scrapes without credentials, as it does
# everywhere, and the metrics hold counts and timings, never a record (api.prometheus).
OPS_POLICY: dict[tuple[str, str], Rule] = {
    ("GET", "/metrics"): _rule(None),
}
RULES = {**POLICY, **WEB_POLICY, **OPS_POLICY}

# Matched against the request path itself, not the framework's notion of the current route, so the gate
# does not depend on how routers are included.
_TEMPLATES = [(method, compile_path(path)[0], path) for method, path in RULES]


def route_of(method: str, path: str) -> str | None:
    """The POLICY template this request path falls under, if any."""
    for rule_method, pattern, template in _TEMPLATES:
        if rule_method == method and pattern.match(path):
            return template
    return None


@dataclass
class AuditDraft:
    """What the trail will record for this request; routes may add the record and details they learn."""

    action: AuditAction
    route: str
    actor: str | None = None
    role: Role | None = None
    record: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


def csrf_token(backends: Backends, credential_id: str) -> str:
    """The CSRF token of a web session: bound to the session, unguessable without the server's key."""
    return hmac.new(backends.secret, f"csrf:{credential_id}".encode(), hashlib.sha256).hexdigest()


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _principal(request: Request, backends: Backends) -> Principal | None:
    token = _bearer(request)
    if token is not None:
        found = authenticate(backends.store, token, kind=TokenKind.API)
        if found is None:
            raise Unauthorized(
                "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi",
                "the token is invalid, expired or revoked",
            )
        request.state.credential_id = found[1].id  # download links made now end with it (api.links)
        return found[0]
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = authenticate(backends.store, cookie, kind=TokenKind.SESSION)
        if found is None:
            return None  # an old cookie: treated as signed out
        principal, credential = found
        if request.method not in _SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent, csrf_token(backends, credential.id)):
                raise Forbidden("Thiếu hoặc sai mã CSRF", "missing or wrong CSRF token")
        request.state.session_id = request.state.credential_id = credential.id
        return principal
    return None


def authorize(request: Request, backends: BackendsDep) -> Principal | None:
    """The app-wide gate: authenticate, check the route's rule, start the audit draft."""
    path = route_of(request.method, request.url.path) or request.url.path
    rule = RULES.get((request.method, path))
    if rule is not None and rule.action is not None:
        draft = AuditDraft(rule.action, f"{request.method} {path}")
        if rule.record:
            draft.record = str(request.path_params.get(rule.record, ""))[:100] or None
        draft.detail = {k: v[:200] for k, v in list(request.query_params.items())[:20]}
        request.state.audit = draft
    principal = _principal(request, backends)
    if principal is not None and hasattr(request.state, "audit"):
        request.state.audit.actor = principal.username
        request.state.audit.role = principal.role
    request.state.principal = principal
    if rule is None:
        raise Forbidden("Chức năng này chưa được cấp quyền", "no access rule covers this route")
    if rule.roles is None:
        return principal
    if principal is None:
        raise Unauthorized("Cần đăng nhập", "authentication required")
    if principal.role not in rule.roles:
        raise Forbidden(
            f"Vai trò {principal.role.value} không được dùng chức năng này",
            f"role {principal.role.value} may not do this",
        )
    return principal


def signed_in(principal: Annotated[Principal | None, Depends(authorize)]) -> Principal:
    if principal is None:  # only on public routes, which do not ask for this
        raise Unauthorized("Cần đăng nhập", "authentication required")
    return principal


WhoDep = Annotated[Principal, Depends(signed_in)]


def actor(who: WhoDep) -> str:
    """Who is acting, as recorded on links, reuse events, revocations and confirmations."""
    return who.username


ActorDep = Annotated[str, Depends(actor)]


def note(request: Request, *, record: str | None = None, **detail: str) -> None:
    """Add to the audit draft of this request what only the route knows (the record created, …)."""
    draft: AuditDraft | None = getattr(request.state, "audit", None)
    if draft is None:
        return
    if record is not None:
        draft.record = record
    draft.detail.update(detail)
