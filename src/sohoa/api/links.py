"""Short-lived download links: a presigned URL where the store can make one (MinIO), otherwise a link to
sohoa itself signed with the server's key (filesystem store). Either way the link names one object, expires
in minutes, and its making and (for signed links) its use are on the audit trail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from sohoa.errors import NotFound


@runtime_checkable
class Presigner(Protocol):
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


def expiry(seconds: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
