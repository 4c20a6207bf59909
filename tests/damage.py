"""Bit rot for tests: one byte of a stored object changed past sohoa, its size and recorded sha256 kept, on
the filesystem store (the blob's file) and on MinIO (a new version put straight to the server)."""

from __future__ import annotations

import io

from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore


def damage(store: ObjectStore, key: str) -> bytes:
    """Flip one byte in the middle of the stored object; the damaged bytes are returned."""
    info = store.stat(key)
    if isinstance(store, FilesystemStore):
        blob = store._blob_path(info.sha256)
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0xFF
        blob.write_bytes(bytes(data))
        return bytes(data)
    assert isinstance(store, MinioStore)
    bucket = store.locked_bucket if store._locked_stat(key) is not None else store.bucket
    response = store.client.get_object(bucket, key)
    data = bytearray(response.read())
    response.close()
    response.release_conn()
    data[len(data) // 2] ^= 0xFF
    # Straight to the server: a new version whose bytes disagree with the sha256 it carries.
    store.client.put_object(
        bucket,
        key,
        io.BytesIO(bytes(data)),
        len(data),
        content_type=info.content_type,
        metadata={"sha256": info.sha256},
    )
    return bytes(data)
