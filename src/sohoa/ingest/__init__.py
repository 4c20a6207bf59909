"""The ingest pipeline: from a file as captured to a stored, indexed document."""

from sohoa.ingest.documents import load_document, page_records, reindex
from sohoa.ingest.pipeline import IngestMeta, IngestOutcome, Progress, ingest_file

__all__ = [
    "IngestMeta",
    "IngestOutcome",
    "Progress",
    "ingest_file",
    "load_document",
    "page_records",
    "reindex",
]
