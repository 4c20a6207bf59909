"""Scan files named on the command line or found in folders, in a stable order."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SCAN_SUFFIXES = frozenset({".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"})


def scan_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the scans inside given folders, sorted by name as a scanner numbers them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES)
            )
        else:
            files.append(path)
    return files
