"""Subscriptions of the one-stop software to events (admins): register a URL with its secret, kinds and
agency, list them, remove one, read one's delivery log. And the events themselves, described as OpenAPI
webhooks (`describe_webhooks`) so the schema names each kind's body."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, Response

from sohoa.api.auth import WhoDep, note
from sohoa.api.deps import BackendsDep
from sohoa.archive.subscriptions import (
    add_subscription,
    deliveries,
    load_subscription,
    remove_subscription,
    subscriptions,
)
from sohoa.records.events import DESCRIPTIONS, EventKind, body_model
from sohoa.records.subscriptions import (
    CreatedSubscription,
    DeliveryAttempt,
    NewSubscription,
    SubscriptionView,
)

router = APIRouter(tags=["events"])


@router.post("/subscriptions", status_code=201, response_model=CreatedSubscription)
def create_subscription(
    body: NewSubscription, request: Request, backends: BackendsDep, who: WhoDep
) -> CreatedSubscription:
    """Register where events go. The URL must be http(s) and resolve to public addresses (unless
    SOHOA_WEBHOOKS_ALLOW_PRIVATE); the secret (given, or made here) is answered this once only."""
    created = add_subscription(
        backends.store, body, by=who.username, allow_private=backends.settings.webhooks_allow_private
    )
    note(request, record=created.id, url=created.url[:200])
    return created


@router.get("/subscriptions", response_model=list[SubscriptionView])
def list_subscriptions(backends: BackendsDep) -> list[SubscriptionView]:
    """Every subscription, oldest first; secrets masked."""
    return [SubscriptionView.of(s) for s in subscriptions(backends.store)]


@router.delete("/subscriptions/{subscription_id}", status_code=204, response_class=Response)
def delete_subscription(subscription_id: str, backends: BackendsDep) -> Response:
    """No more events go to it (its delivery log is kept)."""
    remove_subscription(backends.store, subscription_id)
    return Response(status_code=204)


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=list[DeliveryAttempt])
def list_deliveries(
    subscription_id: str,
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryAttempt]:
    """The delivery log, newest attempt first: status, HTTP code, error, time, next try."""
    load_subscription(backends.store, subscription_id)
    return deliveries(backends.store, subscription_id, limit=limit)


def describe_webhooks(app: FastAPI) -> None:
    """Each event kind as an OpenAPI webhook: POSTed as JSON with the X-Sohoa-* headers (docs/events.md)."""
    for kind in EventKind:
        model = body_model(kind)

        def receiver(body: object) -> None:
            """Answer 2xx to acknowledge."""

        # Set here, not written: annotations are strings in this module and `model` differs per kind.
        receiver.__annotations__ = {"body": model, "return": None}
        app.webhooks.post(
            kind.value,
            summary=kind.value,
            operation_id="event_" + kind.value.replace(".", "_"),
            description=DESCRIPTIONS[kind]
            + " Headers: X-Sohoa-Event (the kind), X-Sohoa-Delivery (the event id), X-Sohoa-Signature "
            "(t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>' with the subscription's secret>).",
        )(receiver)
