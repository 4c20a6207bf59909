"""A dossier code staff give with an upload: linked when it names a dossier of their own agency, kept as
given (a code from the province's one-stop software) when sohoa does not know it, and kept as given too,
never linked, when it names another agency's dossier, so that the answer is the same whatever exists
elsewhere (an upload must not tell which codes other agencies hold)."""

from __future__ import annotations

from sohoa.archive.documents import load_document
from sohoa.archive.dossiers import load_dossier
from sohoa.archive.lifecycle import save_document
from sohoa.errors import NotFound
from sohoa.records.models import Document, DossierRef
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore


def foreign_dossier(store: ObjectStore, code: str, agency: str | None) -> bool:
    """Does `code` name a dossier sohoa received at an agency other than `agency`?"""
    try:
        return load_dossier(store, code).agency != agency
    except NotFound:
        return False


def label_dossier(store: ObjectStore, index: SearchIndex, doc_id: str, code: str) -> Document:
    """Write `code` on a document as a code given by hand, with no link to any dossier: what the pipeline
    writes for a code it does not know (no procedure, the owner as given)."""
    document = load_document(store, doc_id)
    document.dossier = DossierRef(code=code, owner_id=document.owner_id)
    return save_document(store, index, document)
