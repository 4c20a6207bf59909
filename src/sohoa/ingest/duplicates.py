"""Near duplicates: the same paper digitized again (scanned twice, or a copy of it), found at ingest and
offered for linking instead of a new document, with the evidence.

Candidates are the owner's documents and those with the same number and symbol (from the index), of the
new document's own agency only: the evidence is part of the uploader's answer, and another agency's record
(even its id) is not theirs to learn of. Each is compared page by page by difference hash and by text.
Exact duplicates (same master sha256) at the same agency never get this far: ingest returns the stored
document.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from sohoa.archive.documents import load_document
from sohoa.records.models import Document, DuplicateEvidence, FieldName
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore

# Same paper: text at least this similar (0..1) and page hashes at most this many bits apart on average.
TEXT_SIMILARITY = 0.90
HASH_DISTANCE = 12
_TEXT_CHARS = 4000  # enough text to tell two papers apart, little enough to compare fast


def _hash_distance(a: Document, b: Document) -> int | None:
    pairs = [
        hash_distance(p.dhash, q.dhash)
        for p, q in zip(a.pages, b.pages, strict=False)
        if p.dhash and q.dhash and not p.blank and not q.blank
    ]
    return round(sum(pairs) / len(pairs)) if pairs else None


# Fields that name one paper: two papers printed from one template share most of their text, not these.
_IDENTIFYING = (FieldName.NUMBER_SYMBOL, FieldName.ISSUE_DATE)


def _values(document: Document, name: FieldName) -> set[str]:
    found = {f.value for f in document.fields if f.name is name}
    if name is FieldName.NUMBER_SYMBOL and document.number_symbol:
        found.add(document.number_symbol)
    return found


def compare(new: Document, old: Document) -> DuplicateEvidence | None:
    similarity = fuzz.ratio(new.text[:_TEXT_CHARS], old.text[:_TEXT_CHARS]) / 100
    distance = _hash_distance(new, old)
    conflicting = any(
        _values(new, name) and _values(old, name) and not _values(new, name) & _values(old, name)
        for name in _IDENTIFYING
    )
    numbers = _values(new, FieldName.NUMBER_SYMBOL) & _values(old, FieldName.NUMBER_SYMBOL)
    same_number = bool(numbers) and new.owner_id is not None and new.owner_id == old.owner_id
    same_paper = (
        similarity >= TEXT_SIMILARITY and (distance is None or distance <= HASH_DISTANCE) and not conflicting
    )
    if not (same_paper or same_number):
        return None
    return DuplicateEvidence(
        doc_id=old.id,
        page_hash_distance=distance,
        text_similarity=round(similarity, 3),
        same_number_and_owner=same_number,
    )


def near_duplicates(store: ObjectStore, index: SearchIndex, document: Document) -> list[DuplicateEvidence]:
    records = []
    if document.owner_id:
        records += index.owner_documents(document.owner_id)
    for f in document.fields:
        if f.name is FieldName.NUMBER_SYMBOL:
            records += index.documents_by_number(f.value)
    candidates = {r.doc_id for r in records if r.agency == document.agency}
    candidates.discard(document.id)
    found = []
    for doc_id in sorted(candidates):
        evidence = compare(document, load_document(store, doc_id))
        if evidence is not None:
            found.append(evidence)
    return found


def hash_distance(a: str, b: str) -> int:
    """Bits apart of two pages' difference hashes (ocr.pipeline.difference_hash), 0..64."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
