"""Subscriptions of the one-stop software to sohoa's events, and the log of each delivery attempt.

A subscription names where events go (a URL an admin registered), the secret their signatures are made
with, the kinds wanted and, optionally, the one agency whose records it follows. The secret is stored with
the record (deliveries must sign with it) and shown once, when it is made; every later view shows its last
characters only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr, field_validator

from sohoa.records.events import EventKind
from sohoa.records.models import utcnow

MIN_SECRET = 16


class NewSubscription(BaseModel):
    """What an admin sends: the URL, the kinds, the agency, and a secret (made by sohoa when none)."""

    url: str = Field(min_length=8, max_length=2000, description="http(s) URL the events are POSTed to")
    kinds: list[EventKind] = Field(min_length=1, description="the event kinds wanted")
    agency: str | None = Field(
        default=None, max_length=40, description="only events of this agency's records (default: all)"
    )
    secret: SecretStr | None = Field(
        default=None, description=f"HMAC key, at least {MIN_SECRET} characters; default: one made by sohoa"
    )

    @field_validator("kinds")
    @classmethod
    def _once_each(cls, kinds: list[EventKind]) -> list[EventKind]:
        return sorted(set(kinds), key=list(EventKind).index)

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value()) < MIN_SECRET:
            raise ValueError(f"the secret must be at least {MIN_SECRET} characters")
        return secret


class Subscription(BaseModel):
    """A subscription as stored, secret included (never answered as such: see `SubscriptionView`)."""

    id: str
    url: str
    kinds: list[EventKind]
    agency: str | None = None
    secret: str
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)

    def wants(self, kind: EventKind, agency: str | None, at: datetime) -> bool:
        """Whether an event of this kind, agency and time is this subscription's: events from before it was
        made are not sent to it."""
        return kind in self.kinds and (self.agency is None or self.agency == agency) and at >= self.created_at


class SubscriptionView(BaseModel):
    """A subscription as the API shows it: the secret masked."""

    id: str
    url: str
    kinds: list[EventKind]
    agency: str | None
    secret_hint: str = Field(description="the secret's last four characters")
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionView:
        return cls(**sub.model_dump(exclude={"secret"}), secret_hint="…" + sub.secret[-4:])


class CreatedSubscription(SubscriptionView):
    """The answer to its creation: the one time the secret is shown."""

    secret: str


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # claimed by a process, no answer recorded yet
    ACKNOWLEDGED = "acknowledged"  # the receiver answered 2xx
    FAILED = "failed"  # another answer, or none; tried again at next_try
    GAVE_UP = "gave_up"  # failed and out of attempts


class DeliveryAttempt(BaseModel):
    """One attempt to deliver one event to one subscription, as the delivery log keeps it."""

    subscription_id: str
    event_id: str
    kind: EventKind
    attempt: int = Field(ge=1)
    status: DeliveryStatus
    code: int | None = Field(default=None, description="the receiver's HTTP status")
    error: str | None = None
    at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    next_try: datetime | None = None
    by: str = Field(default="", description="the process that made the attempt (host:pid)")
