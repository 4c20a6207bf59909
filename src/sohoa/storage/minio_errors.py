"""The one table from the MinIO client's errors to sohoa's: a missing object, a lost condition (the caller
says which race it lost), a busy, unreachable or quorum-less server (503), anything else the server refused.
"""

from __future__ import annotations

import re

from minio.error import InvalidResponseError, S3Error

from sohoa import telemetry
from sohoa.storage.base import ObjectNotFound, StorageError, StorageUnavailable, VersionConflict

_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchVersion"}
_PRECONDITION = {"PreconditionFailed", "ConditionalRequestConflict"}
_BUSY = {"ServiceUnavailable", "SlowDown", "XMinioServerNotInitialized", "XMinioStorageFull"}
# An erasure set with too few drives answering: reads need half of them, writes more than half.
_NO_QUORUM = {"SlowDownWrite": ("ghi", "write"), "SlowDownRead": ("đọc", "read")}


def translated(exc: Exception, endpoint: str, key: str) -> StorageError:
    """sohoa's error for `exc`, raised by the client on a call about `key` ("" for a bucket)."""
    # The connection refused, reset or timed out after the retries, or a balancer's own 502/504 page.
    if not isinstance(exc, S3Error):
        telemetry.storage_error("minio", "unavailable")
        # A balancer's page says which: its status, and the page's first words ("No server is available").
        said = f" {exc._code}: {_words(exc._body)}" if isinstance(exc, InvalidResponseError) else ""
        return StorageUnavailable(
            f"Không kết nối được kho lưu trữ MinIO tại {endpoint}",
            f"cannot reach the MinIO object store at {endpoint}: {type(exc).__name__}{said}",
        )
    if exc.code in _NOT_FOUND:
        return ObjectNotFound(key)
    if exc.code in _PRECONDITION:
        return VersionConflict(key)
    if exc.code in _NO_QUORUM:
        return no_quorum(endpoint, exc.code)
    if exc.code in _BUSY:
        telemetry.storage_error("minio", "unavailable")
        return StorageUnavailable(
            f"Kho lưu trữ MinIO tại {endpoint} đang bận hoặc đầy ({exc.code})",
            f"the MinIO object store at {endpoint} is busy or full ({exc.code})",
        )
    telemetry.storage_error("minio", "refused")
    return StorageError(
        f"Kho lưu trữ MinIO từ chối yêu cầu ({exc.code})",
        f"the MinIO object store refused the request for {key or 'a bucket'}: {exc.code}",
    )


def _words(body: object) -> str:
    return " ".join(re.sub(r"<[^>]*>", " ", str(body or "")).split(".")[0].split())[:120]


def no_quorum(endpoint: str, code: str = "SlowDownWrite") -> StorageUnavailable:
    """The set has too few nodes answering to write (`SlowDownWrite`) or to read (`SlowDownRead`)."""
    telemetry.storage_error("minio", "unavailable")
    vi, en = _NO_QUORUM[code]
    return StorageUnavailable(
        f"Kho lưu trữ MinIO tại {endpoint} tạm không {vi} được: quá ít nút đang chạy ({code})",
        f"the MinIO object store at {endpoint} cannot {en} now: too few of its nodes answer ({code})",
    )
