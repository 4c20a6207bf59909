"""Idempotency keys: a client that sends `Idempotency-Key` with a create gets, when it retries (after a
timeout, a dropped connection, a 503), the record the first try made instead of a second one.

Kept per user in storage, `idempotency/{user}/{key}.json`. The key is claimed with a create-if-absent
write before anything is created, so of two tries side by side exactly one creates; the claim is then
filled with what the create produced (the record's id and the status answered). A try that finds the claim
filled answers the same record; one that finds it still empty answers 409 (the first try is still at work)
unless the claim is older than `STALE` (that try died: this one takes over). The same key with a different
request is refused (422), as the IETF Idempotency-Key draft asks.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from sohoa.errors import BadInput, Conflict
from sohoa.records.models import utcnow
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore, check_key
from sohoa.storage.manifests import read_manifest, write_manifest

HEADER = "Idempotency-Key"
STALE = timedelta(minutes=2)
_KEY_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._:-]{0,99}")


class Claim(BaseModel):
    request_sha256: str
    at: datetime = Field(default_factory=utcnow)
    result: str | None = None  # what the create made (a dossier code)
    status: int | None = None  # the status it answered


def _key(user: str, key: str) -> str:
    if not _KEY_RE.fullmatch(key):
        raise BadInput(
            f"{HEADER} gồm 1–100 chữ cái, số và . _ : - (ví dụ một UUID)",
            f"an {HEADER} is 1-100 letters, digits, '.', '_', ':' or '-' (a UUID, say)",
        )
    return check_key(f"idempotency/{keys.code_segment(user)}/{keys.code_segment(key)}.json")


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def claim(store: ObjectStore, user: str, key: str, request_sha256: str) -> Claim | None:
    """None when this try holds the key and is to create; the filled claim when a try before it created
    (answer its record again). Conflict while another try holds it; BadInput for another request."""
    where = _key(user, key)
    mine = Claim(request_sha256=request_sha256)
    try:
        store.create_bytes(where, mine.model_dump_json().encode(), content_type="application/json")
        return None
    except ObjectExists:
        pass
    try:
        held = read_manifest(store, where, Claim)
    except ObjectNotFound:  # pragma: no cover - claims are never deleted
        return claim(store, user, key, request_sha256)
    if held.request_sha256 != request_sha256:
        raise BadInput(
            f"{HEADER} này đã dùng cho một yêu cầu khác",
            f"this {HEADER} was used for a different request",
        )
    if held.result is not None:
        return held
    if utcnow() - held.at < STALE:
        raise Conflict(
            "Yêu cầu cùng khóa đang được xử lý, hãy thử lại sau giây lát",
            f"a request with this {HEADER} is still being handled; retry in a moment",
        )
    write_manifest(store, where, mine)  # the try that claimed it died before creating anything
    return None


def settle(store: ObjectStore, user: str, key: str, request_sha256: str, *, result: str, status: int) -> None:
    """Fill this try's claim with what it created."""
    done = Claim(request_sha256=request_sha256, result=result, status=status)
    write_manifest(store, _key(user, key), done)
