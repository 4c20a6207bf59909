"""Import a dossier package made by another installation: every check first (`archive.package_checks`),
then the writes, in an order where a crash leaves nothing half-visible and a second import completes it.

The order: (1) every document's files (master write-once, page images and words, searchable PDF, signed
copies write-once), none visible without its record; (2) the result codes claimed for their documents;
(3) each document's record and content pointer (`archive.writes.publish`, the manifest last, then
indexed); (4) the dossier's links (a reuse through the marker that makes it exactly-once,
`archive.reuses`); (5) the importing agency's grant (`archive.grants`: it holds the dossier and its
documents as its own, though they keep their agencies); (6) the dossier's record, which makes the dossier
visible, and with it the grant; (7) the import record (`imports/{package}.json`, the package's
provenance). Each write is skipped when the store holds the same
bytes already, so importing the same package twice stores nothing new, and an import cut off at any point
is finished by running it again. Original ids, codes, histories and signature verdicts are kept as sent.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from asn1crypto import x509

from sohoa.archive.documents import dossier_record, reuse_record
from sohoa.archive.grants import grant_dossier
from sohoa.archive.package_checks import CheckedPackage, check_package
from sohoa.archive.package_layout import document_keys
from sohoa.archive.pending import Pending, index_document, indexed_or_pending
from sohoa.archive.reuses import finish_reuse, reserve_reuse
from sohoa.archive.writes import publish
from sohoa.errors import Conflict
from sohoa.records.codes import check_agency
from sohoa.records.dossiers import Dossier, LinkKind
from sohoa.records.models import Document
from sohoa.records.packages import DossierGrant, ImportReport, PackageImport
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectNotFound, ObjectStore
from sohoa.storage.once import put_file_once

_CONTENT_TYPES = {"json": "application/json", "pdf": "application/pdf", "jpg": "image/jpeg"}


class _Tally:
    def __init__(self) -> None:
        self.written = 0
        self.present = 0

    def count(self, wrote: bool) -> None:
        if wrote:
            self.written += 1
        else:
            self.present += 1


def _sha(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _put_file(store: ObjectStore, key: str, path: Path, media_type: str, *, locked: bool) -> bool:
    """Store the file under `key` unless the same bytes are there; True if written."""
    return put_file_once(store, key, path, sha256=_sha(path), content_type=media_type, locked=locked)


def _create(store: ObjectStore, key: str, data: bytes) -> bool:
    """Create `key` with `data` unless it exists (with the same bytes: a finished earlier import)."""
    try:
        store.create_bytes(key, data, content_type="application/json")
    except ObjectExists:
        return False
    return True


def _conflicts(store: ObjectStore, package: CheckedPackage) -> None:
    """What this installation holds that the package contradicts; refused before anything is written."""
    dossier = package.dossier
    try:
        held = Dossier.model_validate_json(store.get_bytes(keys.dossier_manifest(dossier.code)))
    except ObjectNotFound:
        held = None
    if held is not None and (held.applicant, held.received_at, held.agency) != (
        dossier.applicant,
        dossier.received_at,
        dossier.agency,
    ):
        raise Conflict(
            f"Đã có một hồ sơ khác mang mã {dossier.code}", f"another dossier holds the code {dossier.code}"
        )
    for document in package.documents:
        if document.result_code is None:
            continue
        try:
            claim = json.loads(store.get_bytes(keys.result_code_claim(document.result_code)))
        except ObjectNotFound:
            continue
        if claim.get("doc_id") != document.id:
            raise Conflict(
                f"Mã kết quả số hóa {document.result_code} đã cấp cho tài liệu khác ở đây",
                f"result code {document.result_code} is held by another document here",
            )


def _store_files(store: ObjectStore, package: CheckedPackage, document: Document, tally: _Tally) -> None:
    for key in document_keys(document):
        if key == document.master_key:
            tally.count(_put_file(store, key, package.file(key), document.master_media_type, locked=True))
        else:
            media_type = _CONTENT_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
            tally.count(_put_file(store, key, package.file(key), media_type, locked="/signed-" in key))


def _store_record(store: ObjectStore, index: SearchIndex, document: Document, tally: _Tally) -> None:
    if store.exists(keys.document_manifest(document.id)):
        tally.count(False)
        return
    if document.result_code:
        claim = json.dumps({"doc_id": document.id}).encode()
        tally.count(_create(store, keys.result_code_claim(document.result_code), claim))
    publish(store, index, document)
    tally.count(True)


def _store_links(store: ObjectStore, index: SearchIndex, package: CheckedPackage, tally: _Tally) -> None:
    events = {e.doc_id: e for e in package.reuses}
    for link in package.dossier.links:
        key = keys.dossier_link(link.dossier_code, link.doc_id)
        if store.exists(key):
            tally.count(False)
            continue
        if link.kind is LinkKind.REUSED:
            event = reserve_reuse(store, events[link.doc_id])
            finish_reuse(store, event)  # the marker, the event (write-once), then the link
            indexed_or_pending(
                store,
                Pending.REUSE,
                event.dossier_code,
                partial(index.index_reuses, [reuse_record(event)]),
                doc=event.doc_id,
            )
        else:
            _create(store, key, link.model_dump_json(indent=2).encode())
        tally.count(True)


def _reindex(store: ObjectStore, index: SearchIndex, package: CheckedPackage) -> None:
    """The documents again, now that their reuses (their reuse counts) and the dossier that makes the grant
    count are stored: their pages carry the agencies granted them."""
    for document in package.documents:
        indexed_or_pending(
            store, Pending.DOCUMENT, document.id, partial(index_document, store, index, document)
        )


def import_package(
    store: ObjectStore,
    index: SearchIndex,
    package_file: Path,
    *,
    anchors: Sequence[x509.Certificate],
    by: str,
    agency: str,
    max_bytes: int,
    scratch_root: Path | None = None,
) -> ImportReport:
    """Check the package, then store what this installation does not hold yet (see the module's order);
    `agency` (the importing user's) is granted the dossier."""
    agency = check_agency(agency)
    if scratch_root is not None:
        scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sohoa-import-", dir=scratch_root))
    try:
        package = check_package(package_file, scratch, anchors, max_bytes=max_bytes)
        _conflicts(store, package)
        tally = _Tally()
        for document in package.documents:
            _store_files(store, package, document, tally)
        for document in package.documents:
            _store_record(store, index, document, tally)
        _store_links(store, index, package, tally)
        dossier = Dossier(**package.dossier.model_dump(exclude={"links"}))
        grant = DossierGrant(
            dossier_code=dossier.code, agency=agency, granted_by=by, package_sha256=package.sha256
        )
        tally.count(grant_dossier(store, grant))
        made = _create(store, keys.dossier_manifest(dossier.code), dossier.model_dump_json(indent=2).encode())
        tally.count(made)
        indexed_or_pending(
            store, Pending.DOSSIER, dossier.code, partial(index.index_dossiers, [dossier_record(dossier)])
        )
        if tally.written:
            _reindex(store, index, package)
        record = PackageImport(
            package_sha256=package.sha256,
            dossier_code=dossier.code,
            imported_by=by,
            package_signer=package.signer,
            provenance=package.provenance,
        )
        tally.count(
            _create(store, keys.package_import(package.sha256), record.model_dump_json(indent=2).encode())
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ImportReport(
        dossier_code=dossier.code,
        agency=agency,
        package_sha256=package.sha256,
        documents=[d.id for d in package.documents],
        written=tally.written,
        already_stored=tally.present,
        already_imported=tally.written == 0,
    )
