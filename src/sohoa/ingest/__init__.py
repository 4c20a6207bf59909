"""The ingest pipeline: from a file as captured to a stored, indexed document.

The names below are loaded on first use (PEP 562): a page worker imports `sohoa.ingest.pages`, and must
not load the whole pipeline (signatures, archive, search) with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sohoa.ingest.pipeline import IngestMeta, IngestOutcome, Progress, ingest_file

__all__ = ["IngestMeta", "IngestOutcome", "Progress", "ingest_file"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sohoa.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'sohoa.ingest' has no attribute {name!r}")
