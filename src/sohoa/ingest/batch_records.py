"""A batch's record in storage (`batches/{id}/batch.json`): its id from its files' content, reading it back
(with the version read, for a change written only over it), listing every batch, and marking one failed."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path

from sohoa.errors import NotFound
from sohoa.records.basics import utcnow
from sohoa.records.batches import (
    Batch,
    BatchStatus,
)
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore
from sohoa.storage.fixity import sha256_file
from sohoa.storage.manifests import read_manifest, read_manifest_versioned, update_manifest


def batch_id_for(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()[:24]


def load_batch(store: ObjectStore, batch_id: str) -> Batch:
    return load_batch_versioned(store, batch_id)[0]


def load_batch_versioned(store: ObjectStore, batch_id: str) -> tuple[Batch, str]:
    """The batch record and the version read, for a change written back only over it."""
    try:
        return read_manifest_versioned(store, keys.batch_manifest(batch_id), Batch)
    except (ObjectNotFound, ValueError) as exc:
        raise NotFound(f"Không tìm thấy lô quét {batch_id[:40]}", f"batch {batch_id[:40]} not found") from exc


def list_batches(store: ObjectStore) -> list[Batch]:
    """Every batch record in storage."""
    found = []
    for key in store.list(keys.BATCHES_PREFIX):
        if key.endswith("/batch.json"):
            with contextlib.suppress(ObjectNotFound, ValueError):
                found.append(read_manifest(store, key, Batch))
    return found


def mark_failed(store: ObjectStore, batch_id: str, error: str) -> None:
    """A batch that stopped on an error says so (and why); what it read is kept, and running it again on
    the same files goes on from there."""

    def change(batch: Batch) -> Batch:
        batch.status, batch.error, batch.updated_at = BatchStatus.FAILED, error[:500], utcnow()
        return batch

    with contextlib.suppress(ObjectNotFound, ValueError):  # refused before anything was stored
        update_manifest(store, keys.batch_manifest(batch_id), Batch, change)


def link_job(store: ObjectStore, batch_id: str, job_id: str) -> None:
    """The batch record names the job reading it, for a client following the batch."""

    def change(batch: Batch) -> Batch | None:
        if batch.job_id == job_id:
            return None
        batch.job_id = job_id
        return batch

    update_manifest(store, keys.batch_manifest(batch_id), Batch, change)
