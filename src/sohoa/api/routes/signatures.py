"""Signatures on documents: sign the digitized copy (staff as the digitizer, an officer for the agency) with
the user's key kept on the server, and check a document's signatures against today's trust anchors."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, SecretStr

from sohoa.api.access import editable_document, readable_document
from sohoa.api.auth import WhoDep, note
from sohoa.api.deps import BackendsDep
from sohoa.archive.signing import SignatureReport, check_document, sign_document
from sohoa.errors import BadInput
from sohoa.records.access import Role
from sohoa.records.models import Document
from sohoa.records.signatures import SignerRole
from sohoa.signatures import SigningRequest, load_pkcs12, signer_name

router = APIRouter(tags=["signatures"])


class SignRequest(BaseModel):
    passphrase: SecretStr = Field(min_length=1, max_length=200, description="of the user's PKCS#12 key")


@router.post("/documents/{doc_id}/sign", response_model=Document)
def sign(doc_id: str, body: SignRequest, request: Request, backends: BackendsDep, who: WhoDep) -> Document:
    """Sign the document's copy: staff sign as the person who digitized it (visible box top-left of page 1),
    officers certify it for their agency (top-right). Each signing stores a new signed file."""
    editable_document(backends, who, doc_id)
    key_file = backends.settings.keys_dir / f"{who.username}.p12"
    if not key_file.is_file():
        raise BadInput(
            "Chưa có khóa ký cho người dùng này (liên hệ quản trị)",
            f"no signing key configured for {who.username}",
        )
    signer = load_pkcs12(key_file, body.passphrase.get_secret_value())
    role = SignerRole.DIGITIZER if who.role is Role.STAFF else SignerRole.AGENCY
    note(request, role=role.value)
    return sign_document(
        backends.store,
        backends.index,
        doc_id,
        signer,
        SigningRequest(
            role=role,
            name=signer_name(signer.signing_cert),
            location=who.agency or "",
            tsa_url=backends.settings.tsa_url,
        ),
        by=who.username,
        trust_anchors=backends.trust_anchors,
        scratch_root=backends.settings.scratch_dir,
    )


@router.get("/documents/{doc_id}/signatures", response_model=SignatureReport)
def get_signatures(doc_id: str, backends: BackendsDep, who: WhoDep) -> SignatureReport:
    """The signatures of the file as it arrived and of the signed copy, checked now against the trust
    anchors as configured today (the record keeps the verdict from when it was stored or signed)."""
    readable_document(backends, who, doc_id)
    return check_document(backends.store, doc_id, backends.trust_anchors)
