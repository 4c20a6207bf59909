"""Readiness (`GET /api/v1/ready`), beside liveness (`/api/v1/health`, which only says the process answers):
whether the services this server needs answer now. The object store, the search index and (with the Celery
executor) the broker are each asked one cheap question (an object's existence, the index's page count, a
PING), all at once and each within a short time; 200 when all answered, 503 naming the ones that did not,
in Vietnamese and English. A load balancer or an orchestrator stops sending work to a server that is not
ready, and restarts only one that is not live.

`within` (a call cut off after so many seconds) is also what /metrics uses for its scrape-time reads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.errors import SohoaError

T = TypeVar("T")
CHECK_SECONDS = 2.0  # well under a probe's usual timeout, above a loaded server's slowest cheap answer
PROBE_KEY = "health/ready-probe"  # never written: asking whether it exists is the cheapest read
NAMES = {
    "storage": ("kho lưu trữ", "storage"),
    "index": ("chỉ mục tìm kiếm", "index"),
    "broker": ("hàng đợi việc (Redis)", "broker"),
}

router = APIRouter(tags=["health"])


@dataclass(frozen=True, slots=True)
class Answer:
    ok: bool
    seconds: float
    vi: str = ""
    en: str = ""


def within(fn: Callable[[], T], seconds: float) -> T:
    """`fn()`, or TimeoutError once `seconds` have passed (the call is left to finish on its own thread:
    a client stuck on a dead server cannot be interrupted, only no longer waited for)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller as it was raised
            box["error"] = exc

    thread = threading.Thread(target=run, name="sohoa-check", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def redis_client(settings: Settings, seconds: float) -> Any:
    """A Redis client of the broker, giving up on a silent server after `seconds`."""
    import redis  # with celery[redis]; imported here, as the local pool never needs it

    assert settings.broker_url is not None
    return redis.Redis.from_url(
        settings.broker_url.get_secret_value(), socket_timeout=seconds, socket_connect_timeout=seconds
    )


def _ping_broker(settings: Settings, seconds: float) -> None:
    client = redis_client(settings, seconds)
    try:
        client.ping()
    finally:
        client.close()


def checks(backends: Backends, seconds: float) -> dict[str, Callable[[], object]]:
    """The one cheap question asked of each service this server needs."""
    asked: dict[str, Callable[[], object]] = {
        "storage": lambda: backends.store.exists(PROBE_KEY),
        "index": backends.index.count,
    }
    settings = backends.settings
    if settings.executor == "celery" and settings.broker_url is not None:
        asked["broker"] = lambda: _ping_broker(settings, seconds)
    return asked


def _asked(name: str, question: Callable[[], object], seconds: float) -> Answer:
    vi_name, en_name = NAMES[name]
    start = time.perf_counter()
    try:
        within(question, seconds)
    except TimeoutError:
        return Answer(
            False,
            seconds,
            f"{vi_name} không trả lời trong {seconds:g} giây",
            f"{en_name}: no answer in {seconds:g} s",
        )
    except SohoaError as exc:
        return Answer(False, time.perf_counter() - start, f"{vi_name}: {exc.vi}", f"{en_name}: {exc.en}")
    except Exception as exc:
        # Only the kind: a library's message may carry a path or an address with credentials.
        kind = type(exc).__name__
        return Answer(
            False, time.perf_counter() - start, f"{vi_name} lỗi ({kind})", f"{en_name} failed ({kind})"
        )
    return Answer(True, time.perf_counter() - start)


def readiness(backends: Backends, seconds: float = CHECK_SECONDS) -> dict[str, Answer]:
    """Every service asked at once, so the whole takes about the slowest answer, `seconds` at most."""
    answers: dict[str, Answer] = {}
    threads = [
        threading.Thread(target=lambda n=name, q=question: answers.__setitem__(n, _asked(n, q, seconds)))
        for name, question in checks(backends, seconds).items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {name: answers[name] for name in NAMES if name in answers}


@router.get(
    "/api/v1/ready",
    responses={503: {"description": "a service did not answer; the body names it (message_vi, message_en)"}},
)
def ready(request: Request) -> JSONResponse:
    answers = readiness(request.app.state.backends)
    components: dict[str, dict[str, object]] = {
        name: {"status": "ok" if a.ok else "failed", "seconds": round(a.seconds, 4)}
        | ({} if a.ok else {"message_vi": a.vi, "message_en": a.en})
        for name, a in answers.items()
    }
    failed = [name for name, a in answers.items() if not a.ok]
    if not failed:
        return JSONResponse({"status": "ready", "components": components})
    vi = "Dịch vụ chưa sẵn sàng: " + "; ".join(answers[n].vi for n in failed)
    en = "not ready: " + "; ".join(answers[n].en for n in failed)
    body = {
        "type": "https://sohoa.invalid/problems/not_ready",
        "title": vi,
        "status": 503,
        "detail": en,
        "message_vi": vi,
        "message_en": en,
        "failed": failed,
        "components": components,
    }
    return JSONResponse(body, status_code=503, media_type="application/problem+json")
