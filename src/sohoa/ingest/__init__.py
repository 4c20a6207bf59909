"""The ingest pipeline: from a file as captured to a stored, indexed document."""

from sohoa.ingest.pipeline import IngestMeta, IngestOutcome, Progress, ingest_file

__all__ = ["IngestMeta", "IngestOutcome", "Progress", "ingest_file"]
