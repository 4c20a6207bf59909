"""Records kept as JSON manifests in the store, read and written through pydantic models, and changed by
`update_manifest` without losing anyone's update.

A read-modify-write of a manifest reads it with its version, applies the change, and writes it back only if
the manifest is still at that version (ObjectStore.replace_bytes); when another writer came first the change
is applied again to the record as that writer left it. The change function is therefore run once per
attempt on a fresh record and decides anew: a change that no longer makes sense (revoking what was revoked
meanwhile) raises its own error, and nothing is written.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from typing import TypeVar

from pydantic import BaseModel

from sohoa.errors import PreconditionFailed
from sohoa.storage.base import ObjectStore, VersionConflict

M = TypeVar("M", bound=BaseModel)
# Each conflict means another writer succeeded, so a handful of attempts covers any realistic crowd of
# officers on one record; past that the caller gets 409 and may try again.
ATTEMPTS = 8


def _json(record: BaseModel) -> bytes:
    return record.model_dump_json(indent=2).encode()


def write_manifest(
    store: ObjectStore, key: str, record: BaseModel, *, locked: bool = False, if_version: str | None = None
) -> str | None:
    """Write the record; with `if_version`, only over that version (VersionConflict otherwise), answering
    the new version."""
    if if_version is not None:
        return store.replace_bytes(key, _json(record), if_version=if_version, content_type="application/json")
    store.put_bytes(key, _json(record), content_type="application/json", locked=locked)
    return None


def read_manifest(store: ObjectStore, key: str, model: type[M]) -> M:
    return model.model_validate_json(store.get_bytes(key))


def read_manifest_versioned(store: ObjectStore, key: str, model: type[M]) -> tuple[M, str]:
    data, version = store.read_versioned(key)
    return model.model_validate_json(data), version


def stale(key: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"Bản ghi {key} đã được sửa sau lần đọc của bạn (If-Match không khớp ETag hiện tại); chưa lưu "
        "gì, hãy tải lại rồi sửa lại",
        f"record {key} was changed since you read it (If-Match does not match its current ETag); nothing was "
        "saved, read it again and redo the change",
    )


def update_manifest(
    store: ObjectStore,
    key: str,
    model: type[M],
    change: Callable[[M], M | None],
    *,
    if_match: Collection[str] | None = None,
    attempts: int = ATTEMPTS,
) -> tuple[M, str]:
    """Apply `change` to the stored record and write it back, never over a change it has not seen.

    `change` gets the record as stored now and answers the new record (it may change and return the one
    given), or None when there is nothing to write. With `if_match` (versions the caller read, e.g. from an
    HTTP If-Match) the record must still be at one of them: PreconditionFailed (412) otherwise, and no retry,
    since the caller's view is what is out of date. Answers the record and its version as stored."""
    for attempt in range(attempts):
        record, version = read_manifest_versioned(store, key, model)
        if if_match is not None and version not in if_match:
            raise stale(key)
        changed = change(record)
        if changed is None:
            return record, version
        try:
            new_version = write_manifest(store, key, changed, if_version=version)
        except VersionConflict:
            if if_match is not None:
                raise stale(key) from None
            if attempt == attempts - 1:
                raise
            # Racing writers that all lost to the same winner spread out before reading it again.
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
            continue
        assert new_version is not None
        return changed, new_version
    raise AssertionError("unreachable")
