"""The system of record: an ObjectStore protocol, its backends, the object-key layout and JSON manifests."""

from sohoa.storage.base import (
    IntegrityError,
    ObjectInfo,
    ObjectLocked,
    ObjectNotFound,
    ObjectStore,
    StorageError,
)
from sohoa.storage.filesystem import FilesystemStore

__all__ = [
    "FilesystemStore",
    "IntegrityError",
    "ObjectInfo",
    "ObjectLocked",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StorageUnavailable",
]
