"""Where pages come from: folders of scans today; hot folders, SANE scanners and uploads as they are added.
Yields files with their capture metadata; no OCR, no storage."""

from sohoa.scanners.folder import SCAN_SUFFIXES, scan_files

__all__ = ["SCAN_SUFFIXES", "scan_files"]
