"""Writing a file that may already be stored: after a crash, or while the same work runs side by side,
the same bytes can be under the key before the write or arrive between the look and the write. Both are
a success; other bytes under a write-once key stay refused."""

from __future__ import annotations

from pathlib import Path

from sohoa.storage.base import ObjectLocked, ObjectNotFound, ObjectStore


def holds(store: ObjectStore, key: str, sha256: str) -> bool:
    """Whether `key` is stored with these bytes (by the sha256 the store recorded)."""
    try:
        return store.stat(key).sha256 == sha256
    except ObjectNotFound:
        return False


def put_file_once(
    store: ObjectStore, key: str, path: Path, *, sha256: str, content_type: str, locked: bool
) -> bool:
    """Store the file under `key` unless its bytes (`sha256`) are there; True if this call wrote them."""
    if holds(store, key, sha256):
        return False
    try:
        store.put_file(key, path, content_type=content_type, locked=locked)
    except ObjectLocked:
        if not holds(store, key, sha256):
            raise
        return False  # written, write-once, by another committer between the look and the write
    return True
