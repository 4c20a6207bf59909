"""The ingest pipeline: from a file as captured to a stored, indexed document."""

from sohoa.ingest.pipeline import IngestMeta, IngestOutcome, Progress, ingest_file
from sohoa.ingest.records import load_document, page_records, reindex

__all__ = [
    "IngestMeta",
    "IngestOutcome",
    "Progress",
    "ingest_file",
    "load_document",
    "page_records",
    "reindex",
]
