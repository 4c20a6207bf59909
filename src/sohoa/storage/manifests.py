"""Records kept as JSON manifests in the store, read and written through pydantic models."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from sohoa.storage.base import ObjectStore

M = TypeVar("M", bound=BaseModel)


def write_manifest(store: ObjectStore, key: str, record: BaseModel, *, locked: bool = False) -> None:
    data = record.model_dump_json(indent=2).encode()
    store.put_bytes(key, data, content_type="application/json", locked=locked)


def read_manifest(store: ObjectStore, key: str, model: type[M]) -> M:
    return model.model_validate_json(store.get_bytes(key))
