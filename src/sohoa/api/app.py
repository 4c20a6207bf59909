"""The FastAPI application: one router per resource under /api/v1, backends as a dependency, access control
as a dependency of every route (api.auth), the audit trail written before each audited answer leaves, request
bodies capped while they stream, and every error answered as RFC 9457 problem details without stack traces
or internal paths (an HTML page for the web pages). Every SohoaError becomes its HTTP status here, once,
from the class; a 500-class one is logged, and a damaged stored object (`Damaged`) is, besides, logged by
key and put on the audit trail."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sohoa import __version__
from sohoa.api import prometheus, readiness, web
from sohoa.api.auth import AuditDraft, authorize, route_of
from sohoa.api.backends import Backends, make_backends
from sohoa.api.limits import BodyLimit
from sohoa.api.routes import (
    admin,
    batches,
    documents,
    dossiers,
    jobs,
    packages,
    pages,
    reuse,
    search,
    session,
    signatures,
    subscriptions,
)
from sohoa.api.settings import Settings
from sohoa.archive.audit_spool import record_or_spool, spool_dir
from sohoa.archive.integrity import report_damage
from sohoa.errors import Damaged, ServiceUnavailable, SohoaError
from sohoa.ingest.catchup import start_catch_up
from sohoa.ingest.deliveries import start_deliveries
from sohoa.ingest.resume import keep_resuming
from sohoa.records.access import AuditEvent, Principal

log = logging.getLogger("sohoa.api")


def problem(status: int, title: str, detail: str, code: str, **extra: object) -> JSONResponse:
    body = {
        "type": f"https://sohoa.invalid/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _report_damage(request: Request, exc: Damaged) -> None:
    """A damaged stored object found while answering: logged and audited as who was reading, where."""
    who: Principal | None = getattr(request.state, "principal", None)
    backends: Backends = request.app.state.backends
    report_damage(
        backends.store,
        backends.index,
        exc,
        actor=who.username if who else "anonymous",
        role=who.role if who else None,
        route=f"{request.method} {route_of(request.method, request.url.path) or request.url.path}",
        client=request.client.host if request.client else None,
    )


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = backends is None
        app.state.backends = backends or make_backends(settings)
        # Pending index writes replayed while the server runs (a test's own backends are left to the test).
        stop_catch_up = start_catch_up(
            app.state.backends, settings.pending_seconds if owned else 0, spool_dir(settings.data_dir)
        )
        # Jobs whose process died (a server killed mid-batch) are finished here, now and as owners die.
        resuming = keep_resuming(app.state.backends.ingest, settings.job_heartbeat_seconds)
        stop_deliveries = start_deliveries(  # events posted to subscribers (archive.deliveries)
            app.state.backends.store, settings.delivery_policy, settings.delivery_seconds if owned else 0
        )
        try:
            yield
        finally:
            stop_deliveries()
            resuming.set()
            stop_catch_up()
            if owned:
                app.state.backends.close()

    app = FastAPI(
        title="sohoa",
        version=__version__,
        summary="Số hóa hồ sơ, kết quả giải quyết TTHC: digitize, search and reuse",
        lifespan=lifespan,
        dependencies=[Depends(authorize)],
    )
    for module in (
        session,
        documents,
        signatures,
        batches,
        jobs,
        dossiers,
        reuse,
        pages,
        search,
        admin,
        packages,
    ):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(subscriptions.router, prefix="/api/v1")
    subscriptions.describe_webhooks(app)

    @app.middleware("http")
    async def audit_trail(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        draft: AuditDraft | None = getattr(request.state, "audit", None)
        if draft is None:
            return response
        # What the record-level checks learned (whose paper, through which dossier: api.access).
        trail = dict(who.trail) if (who := getattr(request.state, "principal", None)) else {}
        owner = trail.pop("owner", None)
        event = AuditEvent(
            id=uuid.uuid4().hex,
            actor=draft.actor or "anonymous",
            role=draft.role,
            action=draft.action,
            record=draft.record,
            route=draft.route,
            detail=draft.detail | trail,
            client=request.client.host if request.client else None,
            status=response.status_code,
            owner=owner,
        )
        backends: Backends = request.app.state.backends
        try:
            spool = spool_dir(backends.settings.data_dir)
            await run_in_threadpool(record_or_spool, backends.store, backends.index, event, spool)
        except Exception:
            log.exception("audit event not written; answer withheld")
            return problem(
                503, "Không ghi được nhật ký truy cập", "audit trail unavailable", "audit_unavailable"
            )
        return response

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(readiness.router)
    prometheus.install(app)  # after the audit trail: its timing includes the trail's write

    web.install(app)

    @app.exception_handler(SohoaError)
    async def sohoa_error(request: Request, exc: SohoaError) -> Response:
        if isinstance(exc, Damaged):
            await run_in_threadpool(_report_damage, request, exc)
        elif exc.http_status >= 500 and not isinstance(exc, ServiceUnavailable):
            log.error("%s: %s", type(exc).__name__, exc.en, exc_info=exc)
        if web.is_web(request):
            return web.error_page(request, exc.http_status, exc.vi, exc.en)
        answer = problem(exc.http_status, exc.vi, exc.en, exc.code, message_vi=exc.vi, message_en=exc.en)
        if exc.http_status == 401:
            answer.headers["WWW-Authenticate"] = 'Bearer realm="sohoa"'
        return answer

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if web.is_web(request):
            return web.error_page(request, 422, "Địa chỉ không hợp lệ", "invalid address")
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return problem(422, "Yêu cầu không hợp lệ", "invalid request", "invalid_request", errors=errors)

    @app.exception_handler(ValidationError)
    async def invalid_value(request: Request, exc: ValidationError) -> Response:
        # A model built inside a route from values the request carried (a query, a dossier): bad input,
        # said in the model's own words, never a 500. A validator of sohoa's raised a SohoaError (also a
        # ValueError), whose messages pydantic keeps; its own checks speak English only.
        first = exc.errors()[0]
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, SohoaError):
            vi, en = cause.vi[:300], cause.en[:300]
        else:
            vi = en = str(first.get("msg", "")).removeprefix("Value error, ")[:300]
        if web.is_web(request):
            return web.error_page(request, 422, vi, en)
        return problem(422, vi, en, "invalid_value", message_vi=vi, message_en=en)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web.is_web(request) and exc.status_code == 404:
            return web.error_page(request, 404, "Không tìm thấy trang", "page not found")
        return problem(exc.status_code, str(exc.detail), str(exc.detail), f"http_{exc.status_code}")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Lỗi hệ thống", "internal error", "internal")

    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if proxies:
        # Only these peers may say who the client is; `sohoa serve` runs uvicorn without its own proxy
        # headers, whose default believes any X-Forwarded-For sent from 127.0.0.1.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    # Outermost, so an oversized body is refused before anything parses or spools it. (FastAPI's own
    # max_body_size answers a declared oversize in plain text, not as problem details.)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + 64 * 1024)
    return app
