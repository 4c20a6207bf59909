"""Which document holds a file for an agency: the same bytes digitized at two agencies are two records.

The model. A document is one agency's record of a file: the owner, dossier, type, title and kind the
uploader gave, the result code it was issued, the fields its officers confirmed, its edits, revocation
and validity are all that agency's acts, and access is decided on the record's agency
(`records.access.may_read`). So the uploader's agency gets its own record, keyed by (sha256, agency):

- its id is derived from the content and the agency, so a re-run after a crash, or five uploads side by
  side, write the same keys: `sha256[:24]` with no agency (what ingest always did, so CLI ingest without
  an agency and records stored before keep their ids), else the first 24 hex digits of
  sha256("{agency}\\n{sha256}");
- it is known by content through its own pointer, `by-sha256/{sha256}` (no agency, as before) or
  `by-sha256/{sha256}.{agency}`, created if absent, so exactly one concurrent writer "creates" it.

Why a record per agency rather than one shared record with a link per agency: every reader (API, web, CLI,
the index, reindex) would have to pick the right agency's view of the shared record, and one missed place
leaks the other agency's owner, result code or confirmations; separate records need nothing new anywhere.
The cost is that the master and its derivatives are stored, and OCR run, once per agency holding the same
bytes (rare: a citizen's own file brought to two agencies; the once-only rule prefers reuse anyway).

Nothing of another agency's copy reaches the uploader: it is never looked up (only the uploader's pointer,
and the pre-existing `by-sha256/{sha256}` when the record it names is the uploader's agency's), and
near-duplicate evidence is drawn from the uploader's agency's documents only (`ingest.duplicates`). The
answer is the one a new file gets (201, the same shape), timing aside.
"""

from __future__ import annotations

import hashlib
import json

from sohoa.archive.documents import load_document
from sohoa.records.models import Document
from sohoa.storage import keys
from sohoa.storage.base import ObjectNotFound, ObjectStore


def doc_id_for(sha256: str, agency: str | None = None) -> str:
    """The id of `agency`'s record of the file whose master has this sha256."""
    if agency is None:
        return sha256[:24]
    return hashlib.sha256(f"{agency}\n{sha256}".encode()).hexdigest()[:24]


def holder_pointer(sha256: str, agency: str | None) -> str:
    """The key of the pointer to `agency`'s record of this content (escaped like a code's key segment)."""
    return keys.by_sha256(sha256 if agency is None else f"{sha256}.{keys.code_segment(agency)}")


def pointer_body(doc_id: str) -> bytes:
    return json.dumps({"doc_id": doc_id}).encode()


def held_by(store: ObjectStore, sha256: str, agency: str | None) -> Document | None:
    """`agency`'s record of this content, if it has one; another agency's record is never returned."""
    candidates = [holder_pointer(sha256, agency)]
    if agency is not None:
        # Before records were kept per agency, the first agency's record had the plain pointer.
        candidates.append(keys.by_sha256(sha256))
    for key in candidates:
        try:
            pointer = json.loads(store.get_bytes(key))
        except ObjectNotFound:
            continue
        document = load_document(store, pointer["doc_id"])
        # With no agency (the operator's CLI), the plain pointer is its own, whatever it names, as before.
        if agency is None or document.agency == agency:
            return document
    return None
