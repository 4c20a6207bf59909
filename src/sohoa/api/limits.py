"""Limits on what callers can push at the server: request bodies cut off while they stream in, and failed
logins counted per address and per user name."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING

from sohoa.errors import TooManyRequests

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse a request body over `max_bytes` as soon as it is known to be (from the
    declared length, or while counting the bytes as they arrive), before anything parses or spools it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0
        exceeded = False
        refused = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            # Body parsers turn any error while reading into their own answer (FastAPI: a 400); once the
            # limit is crossed, whatever the app answers is replaced by the 413.
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLarge:
            if not refused:
                refused = True
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        vi = f"Tệp vượt quá {self.max_bytes:,} byte"
        en = f"upload exceeds {self.max_bytes:,} bytes"
        body = json.dumps(
            {
                "type": "https://sohoa.invalid/problems/too_large",
                "title": vi,
                "status": 413,
                "detail": en,
                "message_vi": vi,
                "message_en": en,
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class LoginThrottle:
    """At most `attempts` failed logins per `window` seconds from one address, and for one user name.

    The per-user limit stops a guesser who rotates addresses; so that it cannot be turned into a way to lock
    a person out, it does not apply at an address the user has signed in from before (the per-address limit
    still does)."""

    _KNOWN_PER_USER = 20

    def __init__(self, attempts: int, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._known: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=self._KNOWN_PER_USER))
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def _keys(self, address: str, username: str) -> list[str]:
        known = address in self._known.get(username, ())
        return [f"ip:{address}"] if known else [f"ip:{address}", f"user:{username}"]

    def check(self, address: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(address, username):
                failures = self._recent(key, now)
                if len(failures) >= self.attempts:
                    wait = int(failures[0] + self.window - now) + 1
                    raise TooManyRequests(
                        f"Đăng nhập sai quá nhiều lần, thử lại sau {wait} giây",
                        f"too many failed logins, try again in {wait} s",
                    )

    def failed(self, address: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"ip:{address}", f"user:{username}"):
                self._recent(key, now).append(now)

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            known = self._known[username]
            if address not in known:
                known.append(address)
