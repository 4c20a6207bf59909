"""Fixity: the sha256 that identifies a master and proves, on every read, that it is unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in chunks so a large scan is never held in memory."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
