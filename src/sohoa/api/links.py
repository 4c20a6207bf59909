"""Short-lived download links: a link to sohoa itself signed with the server's key, or, where the MinIO
store has a public endpoint set (`SOHOA_MINIO_PUBLIC_ENDPOINT`), a MinIO presigned URL for that address.
Either way the link names one object, expires in minutes, and its making and (for signed links) its use are
on the audit trail.

A signed link is bound to the credential (API token or web session) that made it and is checked again on
each use: once that credential is revoked or expired, or its user disabled, the link answers 410. That is
why signed links are the default on MinIO too: a presigned URL is checked by MinIO, which knows nothing of
sohoa's sessions, so it works until it expires whatever happens to the session; and a signed link's bytes
pass sohoa's sha256 check and its use is audited. Presigned URLs (which spare sohoa the traffic) are for an
operator who sets a public endpoint, with their own short lifetime (`SOHOA_PRESIGNED_URL_SECONDS`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from sohoa.archive.accounts import load_user
from sohoa.errors import Gone, NotFound
from sohoa.records.access import Credential
from sohoa.records.models import utcnow
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore
from sohoa.storage.manifests import read_manifest


@runtime_checkable
class Presigner(Protocol):
    public_endpoint: str | None  # presigned URLs are handed out only when this is set

    def presigned_url(self, key: str, expires: timedelta = ...) -> str: ...


class DownloadLink(BaseModel):
    url: str
    expires_at: datetime


class LinkClaims(BaseModel):
    key: str
    user: str
    filename: str
    media_type: str
    expires: int  # unix time
    credential: str | None = None  # the token or session that made it: the link ends with it


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, claims: LinkClaims) -> str:
    body = _b64(claims.model_dump_json().encode())
    mac = hmac.new(secret, f"link:{body}".encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> LinkClaims:
    """The claims of a valid, unexpired link; NotFound otherwise (a bad link reveals nothing)."""
    gone = NotFound("Liên kết tải không hợp lệ hoặc đã hết hạn", "the download link is invalid or expired")
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(secret, f"link:{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise gone
        claims = LinkClaims.model_validate_json(_unb64(body))
    except (ValueError, TypeError):
        raise gone from None
    if claims.expires < (now or time.time()):
        raise gone
    return claims


def check_maker(store: ObjectStore, claims: LinkClaims) -> None:
    """Refuse (410) a link whose credential is revoked or expired, or whose user is disabled."""
    gone = Gone(
        "Liên kết tải không còn dùng được: phiên đăng nhập hoặc mã truy cập đã tạo ra nó đã bị thu hồi "
        "hoặc hết hạn",
        "the download link no longer works: the session or token that made it was revoked or has expired",
    )
    if claims.credential is None:
        raise gone  # made before links were bound to their credential
    try:
        credential = read_manifest(store, keys.credential(claims.credential), Credential)
        user = load_user(store, claims.user)
    except (ObjectNotFound, NotFound, ValueError):
        raise gone from None
    if credential.username != claims.user or not credential.active(utcnow()) or user.disabled:
        raise gone


def expiry(seconds: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
