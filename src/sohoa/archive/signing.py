"""Signing a stored document's copy, as a step of its digitization (records.digitization): the latest copy
(searchable, or already signed) is signed in an incremental update, checked, stored write-once as a new
file, and the step is recorded in the document's history. Also the re-check of a stored document's
signatures against the trust anchors as configured now."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from asn1crypto import x509
from pydantic import BaseModel
from pyhanko.sign.signers.pdf_cms import Signer

from sohoa.archive.documents import load_document
from sohoa.archive.lifecycle import update_document
from sohoa.errors import BadInput, Conflict
from sohoa.records.digitization import HistoryEntry, IllegalStep, Step, advance
from sohoa.records.models import Document
from sohoa.records.signatures import SignatureCheck, SignatureVerdict
from sohoa.search.base import SearchIndex
from sohoa.signatures import SigningRequest, sign_pdf, verify_pdf
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectStore


class SignatureReport(BaseModel):
    doc_id: str
    source: list[SignatureCheck]  # the file as it arrived
    signed_copy: list[SignatureCheck]  # sohoa's signed copy, if any


def _history(document: Document) -> list[HistoryEntry]:
    # Documents stored before histories were kept had been through every step up to storing.
    return document.history or [HistoryEntry(step=Step.STORE, at=document.created_at, by="sohoa")]


def sign_document(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    signer: Signer,
    request: SigningRequest,
    *,
    by: str,
    trust_anchors: Sequence[x509.Certificate],
    scratch_root: Path | None = None,
) -> Document:
    document = load_document(store, doc_id)
    if document.revocation is not None:
        raise Conflict(f"Tài liệu {doc_id} đã bị thu hồi, không ký", f"document {doc_id} is revoked")
    if document.searchable_pdf_key is None:
        raise Conflict(f"Tài liệu {doc_id} chưa có bản PDF", f"document {doc_id} has no PDF to sign")
    try:
        advance(_history(document), Step.SIGN, by=by, role=request.role.value, name=request.name)
    except IllegalStep as exc:
        raise Conflict("Chưa thể ký ở bước này", exc.en) from exc
    if scratch_root is not None:
        scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"sohoa-sign-{doc_id}-", dir=scratch_root))
    try:
        source = scratch / "copy.pdf"
        store.download(document.signed_pdf_key or document.searchable_pdf_key, source)
        signed = scratch / "signed.pdf"
        sign_pdf(source, signed, signer, request)
        checks = verify_pdf(signed, list(trust_anchors))
        if checks[-1].verdict is not SignatureVerdict.VALID:
            # A copy whose own signature does not check out here would be refused at the next counter.
            raise BadInput(
                f"Chữ ký vừa tạo không hợp lệ: {checks[-1].reason_vi}",
                f"the new signature does not verify: {checks[-1].reason_en}",
            )
        key = keys.signed_pdf(doc_id, len(checks))
        try:
            store.create_bytes(key, signed.read_bytes(), content_type="application/pdf", locked=True)
        except ObjectExists as exc:
            raise Conflict(
                f"Tài liệu {doc_id} đang được ký bởi người khác, hãy thử lại",
                f"document {doc_id} was signed concurrently; try again",
            ) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    signed_from = document.signed_pdf_key

    def change(stored: Document) -> Document:
        # Applied to the record as it is now: another signing since would have made a newer copy than the
        # one signed here (its key taken first, refused above), and a revocation since stops the signing.
        if stored.revocation is not None:
            raise Conflict(f"Tài liệu {doc_id} vừa bị thu hồi, không ký", f"document {doc_id} was revoked")
        if stored.signed_pdf_key != signed_from:
            raise Conflict(
                f"Tài liệu {doc_id} đang được ký bởi người khác, hãy thử lại",
                f"document {doc_id} was signed concurrently; try again",
            )
        try:
            steps = advance(_history(stored), Step.SIGN, by=by, role=request.role.value, name=request.name)
        except IllegalStep as exc:
            raise Conflict("Chưa thể ký ở bước này", exc.en) from exc
        stored.signed_pdf_key = key
        stored.copy_signatures = checks
        stored.history = advance(steps, Step.STORE, by=by, key=key)
        return stored

    return update_document(store, index, doc_id, change)


def check_document(
    store: ObjectStore, doc_id: str, trust_anchors: Sequence[x509.Certificate]
) -> SignatureReport:
    """The signatures of the stored file as it arrived and of the signed copy, checked now."""
    document = load_document(store, doc_id)
    scratch = Path(tempfile.mkdtemp(prefix=f"sohoa-verify-{doc_id}-"))
    try:
        found: dict[str, list[SignatureCheck]] = {"source": [], "signed_copy": []}
        for part, key in (("source", document.master_key), ("signed_copy", document.signed_pdf_key)):
            if key and (part == "signed_copy" or document.master_media_type == "application/pdf"):
                path = scratch / f"{part}.pdf"
                store.download(key, path)
                found[part] = verify_pdf(path, list(trust_anchors))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return SignatureReport(doc_id=doc_id, **found)
