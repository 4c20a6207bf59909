"""The archive: the records service between the pipeline and the backends.

What is kept and who may see it: accounts and sessions, the audit trail, dossiers and their links, document
records (writing a new one, loading, edits, lifecycle, signing, holdings per agency), reuse, integrity checks,
the indicators and the index writes still pending. The pipeline (`sohoa.ingest`) writes through it; the front
ends (`sohoa.api`) read through it. It reaches storage, search and signatures, and never the pipeline, OCR
or scanners.
"""

from sohoa.archive.documents import load_document, page_records, reindex

__all__ = ["load_document", "page_records", "reindex"]
