"""Uploaded files spooled to disk a chunk at a time, under one size limit for all the files of a request."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sohoa.errors import TooLarge

_CHUNK = 1024 * 1024


def spool(source: BinaryIO, target: BinaryIO, *, limit: int, used: int = 0) -> int:
    """Copy an upload to `target`; returns the bytes used so far (`used` plus this file's). Over `limit`,
    refused: the caller removes what it wrote."""
    while chunk := source.read(_CHUNK):
        used += len(chunk)
        if used > limit:
            raise TooLarge(f"Tệp vượt quá {limit:,} byte", f"upload exceeds {limit:,} bytes")
        target.write(chunk)
    return used


def spool_to(source: BinaryIO, path: Path, *, limit: int, used: int = 0) -> int:
    with path.open("wb") as target:
        return spool(source, target, limit=limit, used=used)
