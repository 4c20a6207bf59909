"""The system of record: an ObjectStore protocol, its backends, the object-key layout and JSON manifests."""

from sohoa.storage.base import (
    IntegrityError,
    InvalidKey,
    ObjectExists,
    ObjectInfo,
    ObjectLocked,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    VersionConflict,
)
from sohoa.storage.filesystem import FilesystemStore

__all__ = [
    "FilesystemStore",
    "IntegrityError",
    "InvalidKey",
    "ObjectExists",
    "ObjectInfo",
    "ObjectLocked",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StorageUnavailable",
    "VersionConflict",
]
