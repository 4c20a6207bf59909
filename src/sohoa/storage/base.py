"""The ObjectStore protocol every storage backend implements, and the errors it raises.

A store keeps bytes under keys (see `keys`), records the sha256 of every object it is given and checks it
on every full read, so silent corruption is caught where it happens rather than in a citizen's hands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from sohoa.errors import Damaged, EditConflict, ServiceUnavailable, SohoaError


class StorageError(SohoaError):
    """Base of every storage failure: a 500-class answer unless a subclass says otherwise."""

    code = "storage_error"


class StorageUnavailable(ServiceUnavailable, StorageError):
    """The storage server cannot be reached (after retries), or the disk under the store fails."""


class ObjectNotFound(StorageError, KeyError):
    """No object under the key. Where a person named the record, the layer above says NotFound in their
    words; escaping that, it is sohoa's own mistake (500)."""

    code = "object_not_found"

    def __init__(self, key: str) -> None:
        super().__init__(f"Không tìm thấy đối tượng lưu trữ {key}", f"object not found: {key}")
        self.key = key

    def __reduce__(self) -> tuple[type[ObjectNotFound], tuple[str]]:  # type: ignore[override]
        return type(self), (self.key,)


class IntegrityError(Damaged, StorageError):
    """The bytes read do not hash to the sha256 recorded at write time (or are gone): raised with the key
    and the reason, and answered as `Damaged` (integrity_error) wherever errors are mapped."""


# What a write-once object refused, by the operation that was tried.
_LOCKED = {
    "replace": ("đã có và chỉ được ghi một lần", "object is write-once and already exists"),
    "delete": ("chỉ được ghi một lần, không xóa được", "object is write-once and cannot be deleted"),
    "restore": ("chỉ nhận lại đúng nội dung đã ghi", "only the bytes recorded may be written back over it"),
}


class ObjectLocked(StorageError):
    """A write-once (retained) object cannot be replaced or deleted."""

    code = "object_locked"

    def __init__(self, key: str, tried: str = "replace") -> None:
        vi, en = _LOCKED[tried]
        super().__init__(f"Đối tượng {key} {vi}", f"{en}: {key}")
        self.key = key
        self.tried = tried

    def __reduce__(self) -> tuple[type[ObjectLocked], tuple[str, str]]:  # type: ignore[override]
        return type(self), (self.key, self.tried)


class ObjectExists(StorageError):
    """`create_bytes` lost the race: another writer created the key first."""

    code = "object_exists"

    def __init__(self, key: str) -> None:
        super().__init__(f"Đối tượng {key} đã có", f"object already exists: {key}")
        self.key = key

    def __reduce__(self) -> tuple[type[ObjectExists], tuple[str]]:  # type: ignore[override]
        return type(self), (self.key,)


class InvalidKey(StorageError, ValueError):
    """A key sohoa would never build (from an id in a request, say): also a ValueError, which the readers
    of records answer as not found."""

    code = "invalid_key"

    def __init__(self, key: str, why: str = "invalid object key") -> None:
        super().__init__(f"Khóa lưu trữ không hợp lệ: {key!r}", f"{why}: {key!r}")
        self.key = key
        self.why = why

    def __reduce__(self) -> tuple[type[InvalidKey], tuple[str, str]]:  # type: ignore[override]
        return type(self), (self.key, self.why)


class VersionConflict(EditConflict, StorageError):
    """`replace_bytes` lost the race: the object is no longer at the version the writer read, so writing
    would overwrite a change it has not seen. Answered as `EditConflict` (409) where nothing retries it."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Bản ghi {key} vừa được người khác sửa cùng lúc; chưa lưu thay đổi, hãy thử lại",
            f"record {key} was changed by someone else at the same moment; nothing was saved, try again",
        )
        self.key = key

    def __reduce__(self) -> tuple[type[VersionConflict], tuple[str]]:  # type: ignore[override]
        return type(self), (self.key,)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str
    content_type: str = "application/octet-stream"


# Keys are built by sohoa itself (storage.keys), never from a user's file name; anything else is a bug.
# "~" appears only where storage.keys escapes a character of a code (QĐ → Q~C4~90).
_KEY_RE = re.compile(r"[A-Za-z0-9~][A-Za-z0-9._~-]*(/[A-Za-z0-9~][A-Za-z0-9._~-]*)*")


def check_key(key: str) -> str:
    # 255 bytes a segment is a file name's limit on the filesystem store (and MinIO's), 1024 S3's for a key:
    # an id from a request that would pass them is refused here as not found, not by the server as a 500.
    if (
        not _KEY_RE.fullmatch(key)
        or ".." in key
        or len(key) > 1024
        or any(len(part) > 255 for part in key.split("/"))
    ):
        raise InvalidKey(key[:300])
    return key


@runtime_checkable
class ObjectStore(Protocol):
    """Bytes under keys, each with its sha256; a write is all or nothing."""

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        """Store `data` under `key`. With `locked`, the object is write-once (retained where supported)."""
        ...

    def create_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        """Store `data` only if `key` does not exist yet, atomically (ObjectExists otherwise): the one
        primitive that sequences and unique codes are built on, safe across processes and machines."""
        ...

    def put_file(
        self, key: str, path: Path, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        """Store a file's content, streamed rather than read into memory."""
        ...

    def replace_bytes(
        self, key: str, data: bytes, *, if_version: str, content_type: str = "application/octet-stream"
    ) -> str:
        """Compare-and-swap: store `data` under an existing `key` only if the object is still at
        `if_version` (from `read_versioned`), atomically, across threads, processes and, on MinIO, machines;
        VersionConflict otherwise, with nothing written. Answers the new version. ObjectNotFound if the key
        is gone, ObjectLocked for a write-once object."""
        ...

    def copy(self, src_key: str, dst_key: str, *, locked: bool = False) -> ObjectInfo:
        """Store the object under `src_key` also under `dst_key`, done by the store itself (the bytes never
        travel to the caller), with its sha256 and content type. As atomic as a put and refused like one
        onto a write-once key (ObjectLocked); ObjectNotFound if `src_key` is missing."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """The whole object, checked against the sha256 recorded with the very version read (a concurrent
        rewrite is never mistaken for damage)."""
        ...

    def read_versioned(self, key: str) -> tuple[bytes, str]:
        """The whole object, checked as `get_bytes` does, and its version: an opaque token naming the
        content read (the ETag on MinIO, the sha256 on the filesystem), for `replace_bytes`. Two writes of
        the same bytes are the same version, which a compare-and-swap may treat as unchanged."""
        ...

    def download(self, key: str, path: Path) -> ObjectInfo:
        """Stream the object into `path` (written atomically), checked against its recorded sha256."""
        ...

    def stat(self, key: str) -> ObjectInfo: ...

    def digest(self, key: str) -> tuple[ObjectInfo, str]:
        """What the store recorded of the object when it was written, and the sha256 of the bytes under it
        now, streamed (never held whole) and not checked: the caller compares (archive.fixity). The sha256
        is "" when the record is there but its bytes are gone; ObjectNotFound when the key is."""
        ...

    def restore_file(self, key: str, path: Path) -> str | None:
        """Write back an object whose stored bytes no longer hash to its recorded sha256, from a good copy
        (the original file ingested again). The one way past write-once, and a narrow one: only bytes whose
        sha256 is the recorded one are accepted (ObjectLocked otherwise), and an intact object is left
        alone (None). The damaged bytes are kept as evidence; the answer says where: a key of this store
        (filesystem) or `bucket/key?versionId=…` (MinIO, whose versioned buckets keep the damaged version)."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under `prefix`, in lexical order."""
        ...

    def delete(self, key: str) -> None:
        """Remove a derivative; refuses locked objects."""
        ...
