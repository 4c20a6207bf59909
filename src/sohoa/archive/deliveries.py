"""Delivering the outbox: one round posts each pending (event, subscription) pair that is due, signed, and
records every attempt in the delivery log; a function a loop (ingest.deliveries), the `sohoa deliver`
command and a test all call.

At least once, across restarts and side by side: an attempt is claimed by creating its log entry
(`deliveries/{sub}/{event}/{n}.json`, create-if-absent) before the request is sent, so of two processes
running rounds at once one makes attempt n and the other moves on; the claim is then rewritten with the
outcome. A claim left without an outcome (the process died mid-request) counts as failed once it is older
than the request could have taken, and the next attempt is made. Acknowledged means a 2xx answer; anything
else is tried again after a delay that doubles with each attempt, up to a cap. An event leaves the outbox
once every subscription it goes to has acknowledged it (or was given up on after `max_attempts`).

The signature (docs/events.md): `X-Sohoa-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the subscription's secret; `X-Sohoa-Event` names the kind and `X-Sohoa-Delivery` the event id.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from sohoa import __version__
from sohoa.archive.outbox import clear, pending
from sohoa.archive.subscriptions import subscriptions
from sohoa.archive.webhook_urls import RefusedUrl, check_url
from sohoa.records.events import AnyEvent
from sohoa.records.models import utcnow
from sohoa.records.subscriptions import DeliveryAttempt, DeliveryStatus, Subscription
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore

log = logging.getLogger("sohoa.deliveries")
SIGNATURE_HEADER = "X-Sohoa-Signature"


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are made (from SOHOA_WEBHOOK_* settings)."""

    timeout: float = 10.0  # seconds a receiver has to answer
    retry_base: float = 10.0  # the delay after the first failure; doubles after each next one
    retry_cap: float = 3600.0  # the longest delay between two attempts
    max_attempts: int = 50  # then the pair is given up (logged as gave_up)
    allow_private: bool = False  # deliveries to private and loopback addresses (webhook_urls)
    events_per_round: int = 500  # the oldest events a round looks at

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.retry_base * 2 ** (attempt - 1), self.retry_cap))

    @property
    def stale(self) -> timedelta:
        """How long a claim may stay without an outcome before its process is taken for dead."""
        return timedelta(seconds=2 * self.timeout + 30)


@dataclass
class RoundReport:
    acknowledged: int = 0
    failed: int = 0
    gave_up: int = 0
    cleared: int = 0  # events every subscription now has
    waiting: int = 0  # pairs not due yet or claimed by another process
    errors: list[str] = field(default_factory=list)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Sohoa-Signature value of a body sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _attempts(store: ObjectStore, sub_id: str, event_id: str) -> list[DeliveryAttempt]:
    found = []
    for key in store.list(keys.delivery_attempts_prefix(sub_id, event_id)):
        with contextlib.suppress(ObjectNotFound):
            found.append(DeliveryAttempt.model_validate_json(store.get_bytes(key)))
    return sorted(found, key=lambda a: a.attempt)


def _finished(attempts: list[DeliveryAttempt]) -> bool:
    return any(a.status in (DeliveryStatus.ACKNOWLEDGED, DeliveryStatus.GAVE_UP) for a in attempts)


def _due(attempts: list[DeliveryAttempt], policy: DeliveryPolicy, now: datetime) -> bool:
    if not attempts:
        return True
    last = attempts[-1]
    if last.status is DeliveryStatus.SENDING:
        # Another process is sending it, or died doing so: then it counts as a failed attempt.
        return now - last.at > policy.stale and now >= last.at + policy.delay(last.attempt)
    return last.next_try is None or now >= last.next_try


def _abandoned(store: ObjectStore, claim: DeliveryAttempt) -> None:
    """A claim whose process died before recording the outcome: logged as the failed attempt it was."""
    failed = claim.model_copy(
        update={"status": DeliveryStatus.FAILED, "error": "no outcome recorded: the process sending it ended"}
    )
    key = keys.delivery_attempt(claim.subscription_id, claim.event_id, claim.attempt)
    store.put_bytes(key, failed.model_dump_json().encode(), content_type="application/json")


def _send(client: httpx.Client, sub: Subscription, event: AnyEvent, policy: DeliveryPolicy) -> int:
    check_url(sub.url, allow_private=policy.allow_private)  # again: what a name resolves to may change
    body = event.model_dump_json().encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"sohoa/{__version__}",
        "X-Sohoa-Event": event.kind.value,
        "X-Sohoa-Delivery": event.id,
        SIGNATURE_HEADER: signature(sub.secret, int(time.time()), body),
    }
    return client.post(sub.url, content=body, headers=headers).status_code


def _attempt(
    store: ObjectStore,
    client: httpx.Client,
    sub: Subscription,
    event: AnyEvent,
    number: int,
    policy: DeliveryPolicy,
) -> DeliveryAttempt | None:
    """Claim attempt `number` and make it; None when another process claimed it first."""
    key = keys.delivery_attempt(sub.id, event.id, number)
    claim = DeliveryAttempt(
        subscription_id=sub.id,
        event_id=event.id,
        kind=event.kind,
        attempt=number,
        status=DeliveryStatus.SENDING,
        by=f"{socket.gethostname()}:{os.getpid()}",
    )
    try:
        store.create_bytes(key, claim.model_dump_json().encode(), content_type="application/json")
    except ObjectExists:
        return None
    code, error = None, None
    try:
        code = _send(client, sub, event, policy)
    except RefusedUrl as exc:
        error = exc.en
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    done = claim.model_copy(update={"code": code, "error": error, "finished_at": utcnow()})
    if code is not None and 200 <= code < 300:
        done.status = DeliveryStatus.ACKNOWLEDGED
    elif number >= policy.max_attempts:
        done.status = DeliveryStatus.GAVE_UP
    else:
        done.status = DeliveryStatus.FAILED
        done.next_try = done.finished_at + policy.delay(number)  # type: ignore[operator]
        if error is None:
            done.error = f"HTTP {code}"
    store.put_bytes(key, done.model_dump_json().encode(), content_type="application/json")
    return done


def deliver_round(
    store: ObjectStore, policy: DeliveryPolicy | None = None, *, client: httpx.Client | None = None
) -> RoundReport:
    """Make every attempt that is due now; returns what happened. Raises only when the store fails."""
    policy = policy or DeliveryPolicy()
    report = RoundReport()
    subs = subscriptions(store)
    own = client is None
    client = client or httpx.Client(timeout=policy.timeout, follow_redirects=False)
    try:
        for n, (key, event) in enumerate(pending(store)):
            if n >= policy.events_per_round:
                break
            finished = True
            for sub in (s for s in subs if s.wants(event.kind, event.agency, event.time)):
                attempts = _attempts(store, sub.id, event.id)
                if _finished(attempts):
                    continue
                if not _due(attempts, policy, utcnow()):
                    finished, report.waiting = False, report.waiting + 1
                    continue
                if attempts and attempts[-1].status is DeliveryStatus.SENDING:
                    _abandoned(store, attempts[-1])
                done = _attempt(store, client, sub, event, len(attempts) + 1, policy)
                if done is None:
                    finished, report.waiting = False, report.waiting + 1
                elif done.status is DeliveryStatus.ACKNOWLEDGED:
                    report.acknowledged += 1
                elif done.status is DeliveryStatus.GAVE_UP:
                    report.gave_up += 1
                else:
                    finished, report.failed = False, report.failed + 1
                    report.errors.append(f"{sub.id} {event.id}: {done.error}")
            if finished:
                clear(store, key)
                report.cleared += 1
    finally:
        if own:
            client.close()
    return report
