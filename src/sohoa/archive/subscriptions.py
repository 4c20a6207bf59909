"""Subscriptions to events, kept as objects (`subscriptions/{id}.json`): made, listed, removed by an admin,
and the delivery log of each (archive.deliveries writes it)."""

from __future__ import annotations

import contextlib
import secrets

from pydantic import ValidationError

from sohoa.archive.webhook_urls import check_url
from sohoa.errors import NotFound
from sohoa.records.subscriptions import (
    CreatedSubscription,
    DeliveryAttempt,
    NewSubscription,
    Subscription,
    SubscriptionView,
)
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore


def _not_found(subscription_id: str) -> NotFound:
    return NotFound(
        f"Không tìm thấy đăng ký nhận sự kiện {subscription_id[:40]}",
        f"subscription {subscription_id[:40]} not found",
    )


def add_subscription(
    store: ObjectStore, new: NewSubscription, *, by: str, allow_private: bool = False
) -> CreatedSubscription:
    """Check the URL (webhook_urls) and store the subscription; the answer holds its secret, the only time."""
    url = check_url(new.url, allow_private=allow_private)
    secret = new.secret.get_secret_value() if new.secret else secrets.token_urlsafe(32)
    sub = Subscription(
        id="sub-" + secrets.token_hex(8),
        url=url,
        kinds=new.kinds,
        agency=new.agency,
        secret=secret,
        created_by=by,
    )
    store.create_bytes(
        keys.subscription(sub.id), sub.model_dump_json().encode(), content_type="application/json"
    )
    return CreatedSubscription(**SubscriptionView.of(sub).model_dump(), secret=secret)


def load_subscription(store: ObjectStore, subscription_id: str) -> Subscription:
    try:
        return Subscription.model_validate_json(store.get_bytes(keys.subscription(subscription_id)))
    except (ObjectNotFound, ValueError, ValidationError) as exc:
        raise _not_found(subscription_id) from exc


def subscriptions(store: ObjectStore) -> list[Subscription]:
    """Every subscription, oldest first."""
    found = []
    for key in store.list(keys.SUBSCRIPTIONS_PREFIX):
        with contextlib.suppress(ObjectNotFound):  # removed meanwhile
            found.append(Subscription.model_validate_json(store.get_bytes(key)))
    return sorted(found, key=lambda s: s.created_at)


def remove_subscription(store: ObjectStore, subscription_id: str) -> None:
    """No more events go to it; its delivery log is kept."""
    load_subscription(store, subscription_id)
    store.delete(keys.subscription(subscription_id))


def deliveries(store: ObjectStore, subscription_id: str, *, limit: int = 100) -> list[DeliveryAttempt]:
    """The subscription's delivery log, newest attempt first (of a removed one too, while it is kept)."""
    prefix = keys.deliveries_prefix(subscription_id)
    attempts = []
    for key in store.list(prefix):
        with contextlib.suppress(ObjectNotFound):
            attempts.append(DeliveryAttempt.model_validate_json(store.get_bytes(key)))
    if not attempts:
        load_subscription(store, subscription_id)  # an unknown id is 404, not an empty log
    attempts.sort(key=lambda a: (a.at, a.attempt), reverse=True)
    return attempts[:limit]
