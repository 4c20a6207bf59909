"""The FastAPI application: one router per resource under /api/v1, backends as a dependency, and every
error answered as RFC 9457 problem details without stack traces or internal paths."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sohoa import __version__
from sohoa.api.backends import Backends, make_backends
from sohoa.api.routes import documents, dossiers, pages, reuse, search
from sohoa.api.settings import Settings
from sohoa.errors import SohoaError
from sohoa.search.base import InvalidQuery

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


def create_app(settings: Settings | None = None, backends: Backends | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = backends is None
        app.state.backends = backends or make_backends(settings)
        try:
            yield
        finally:
            if owned:
                app.state.backends.close()

    app = FastAPI(
        title="sohoa",
        version=__version__,
        summary="Số hóa hồ sơ, kết quả giải quyết TTHC: digitize, search and reuse",
        lifespan=lifespan,
    )
    for module in (documents, dossiers, reuse, pages, search):
        app.include_router(module.router, prefix="/api/v1")

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.exception_handler(SohoaError)
    async def sohoa_error(_: Request, exc: SohoaError) -> JSONResponse:
        return problem(exc.http_status, exc.vi, exc.en, exc.code, message_vi=exc.vi, message_en=exc.en)

    @app.exception_handler(InvalidQuery)
    async def invalid_query(_: Request, exc: InvalidQuery) -> JSONResponse:
        vi, _, en = str(exc).partition(" / ")
        return problem(422, vi, en, "invalid_query", message_vi=vi, message_en=en)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return problem(422, "Yêu cầu không hợp lệ", "invalid request", "invalid_request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail), f"http_{exc.status_code}")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Lỗi hệ thống", "internal error", "internal")

    return app
