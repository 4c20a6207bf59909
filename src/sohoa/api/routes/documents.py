"""Documents: upload a scan (streamed to disk, then ingested), read its record, get its searchable PDF, its
master as captured or a short-lived download link, revoke a result, confirm extracted fields, set or correct
its facts. The record is sent with its ETag; changes take If-Match (api.etags)."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from sohoa.api.access import editable_document, readable_document
from sohoa.api.auth import WhoDep, note
from sohoa.api.deps import BackendsDep
from sohoa.api.etags import IfMatch, with_etag
from sohoa.api.links import DownloadLink, LinkClaims, Presigner, check_maker, expiry, sign, verify
from sohoa.api.uploads import spool
from sohoa.archive.dossier_codes import foreign_dossier, label_dossier
from sohoa.archive.edits import audit_detail, edit_document
from sohoa.archive.lifecycle import confirm_fields, revoke
from sohoa.ingest.intake import Intake, Source
from sohoa.ingest.jobs import submit_job
from sohoa.ingest.pipeline import IngestMeta
from sohoa.records.confirmations import FieldChange
from sohoa.records.models import Document, DocumentKind, FieldName

router = APIRouter(tags=["documents"])


@router.post("/documents", status_code=201, response_model=Document)
def upload_document(
    request: Request,
    backends: BackendsDep,
    who: WhoDep,
    file: Annotated[UploadFile, File(description="PDF, TIFF, PNG or JPEG scan")],
    owner_id: Annotated[str | None, Form(max_length=20)] = None,
    doc_type: Annotated[str | None, Form(max_length=100)] = None,
    dossier_code: Annotated[str | None, Form(max_length=60)] = None,
    title: Annotated[str | None, Form(max_length=500)] = None,
    kind: Annotated[DocumentKind, Form()] = DocumentKind.COMPONENT,
) -> Response:
    """Ingest one uploaded file as one document. The same file uploaded again answers 200 with the
    document already stored. The document belongs to the uploader's agency; a dossier code links it to that
    dossier when it is one of the agency's, and is otherwise kept as given (ingest.dossier_codes)."""
    settings = backends.settings
    # Another agency's dossier is never linked into, and is answered as a code sohoa does not know.
    foreign = bool(dossier_code) and foreign_dossier(backends.store, dossier_code or "", who.agency)
    # The client's file name is kept as a label only; on disk the upload gets a name of our choosing.
    settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.scratch_dir, prefix="upload-") as tmp:
        spool(file.file, tmp, limit=settings.max_upload_bytes)
        tmp.flush()
        meta = IngestMeta(
            name=Path(file.filename or "upload").name[:255],
            owner_id=owner_id or None,
            doc_type=doc_type or None,
            dossier_code=None if foreign else dossier_code or None,
            title=title or None,
            kind=kind,
            by=who.username,
            agency=who.agency,
        )
        (outcome,) = submit_job(backends.ingest, Intake(Source.UPLOAD, (Path(tmp.name),), meta)).outcomes
    document = outcome.document
    if foreign and outcome.created:
        document = label_dossier(backends.store, backends.index, document.id, dossier_code or "")
    note(request, record=document.id)
    headers = {"Location": f"/api/v1/documents/{document.id}"}
    if outcome.repaired:
        # The stored master was damaged; this upload, the same file, has written it back.
        note(request, repaired="master")
        headers["Sohoa-Repaired"] = "master"
    return JSONResponse(
        document.model_dump(mode="json"), status_code=201 if outcome.created else 200, headers=headers
    )


@router.get("/documents/{doc_id}", response_model=Document)
def get_document(doc_id: str, response: Response, backends: BackendsDep, who: WhoDep) -> Document:
    """The record, with the version it was read at as its ETag (for If-Match on a change)."""
    return with_etag(response, readable_document(backends, who, doc_id))


@router.get(
    "/documents/{doc_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_searchable_pdf(doc_id: str, backends: BackendsDep, who: WhoDep) -> Response:
    document = readable_document(backends, who, doc_id)
    data = backends.store.get_bytes(document.signed_pdf_key or document.searchable_pdf_key or "")
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document.id}.pdf"'},
    )


@router.get(
    "/documents/{doc_id}/master",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}, "image/tiff": {}}}
    },
)
def get_master(doc_id: str, backends: BackendsDep, who: WhoDep) -> Response:
    """The file as captured or uploaded (the legal master), checked against its recorded sha256."""
    document = readable_document(backends, who, doc_id)
    extension = document.master_key.rsplit(".", 1)[-1]
    return Response(
        backends.store.get_bytes(document.master_key),
        media_type=document.master_media_type,
        headers={"Content-Disposition": f'attachment; filename="{document.id}.{extension}"'},
    )


@router.get("/documents/{doc_id}/download-link", response_model=DownloadLink)
def get_download_link(doc_id: str, request: Request, backends: BackendsDep, who: WhoDep) -> DownloadLink:
    """A link to the searchable PDF that works for a few minutes without credentials (for a browser's
    download, or a system the citizen hands it to). It stops working when the session or token that asked
    for it is revoked, except a MinIO presigned URL (only with SOHOA_MINIO_PUBLIC_ENDPOINT set; see
    api.links)."""
    document = readable_document(backends, who, doc_id)
    key = document.signed_pdf_key or document.searchable_pdf_key or ""
    settings, store = backends.settings, backends.store
    if isinstance(store, Presigner) and store.public_endpoint:
        seconds = settings.presigned_url_seconds
        url = store.presigned_url(key, timedelta(seconds=seconds))
        return DownloadLink(url=url, expires_at=expiry(seconds))
    until = expiry(settings.download_link_seconds)
    claims = LinkClaims(
        key=key,
        user=who.username,
        filename=f"{document.id}.pdf",
        media_type="application/pdf",
        expires=int(until.timestamp()),
        credential=getattr(request.state, "credential_id", None),
    )
    return DownloadLink(url=f"/api/v1/files/{sign(backends.secret, claims)}", expires_at=until)


@router.get("/files/{token}", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def get_signed_file(token: str, request: Request, backends: BackendsDep) -> Response:
    """The object a signed download link names, while the link is valid and the session or token that
    made it is neither revoked nor expired (410 once it is)."""
    claims = verify(backends.secret, token)
    check_maker(backends.store, claims)
    note(request, record=claims.key.split("/")[1] if claims.key.startswith("documents/") else claims.key)
    request.state.audit.actor = claims.user
    return Response(
        backends.store.get_bytes(claims.key),
        media_type=claims.media_type,
        headers={"Content-Disposition": f'attachment; filename="{claims.filename}"'},
    )


class RevokeRequest(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


@router.post("/documents/{doc_id}/revoke", response_model=Document)
def revoke_document(
    doc_id: str,
    body: RevokeRequest,
    response: Response,
    if_match: IfMatch,
    backends: BackendsDep,
    who: WhoDep,
) -> Document:
    """Mark a result revoked (thu hồi): it stays in the archive with that status and is no longer reusable.
    409 if it is revoked already (of parallel revocations exactly one succeeds)."""
    editable_document(backends, who, doc_id)
    document = revoke(backends.store, backends.index, doc_id, body.reason, by=who.username, if_match=if_match)
    return with_etag(response, document)


class ConfirmRequest(BaseModel):
    """Either form, or both: `fields` names each field by its position in the document's `fields` (two
    personal IDs are two positions), or adds one OCR missed by `name`; `values` is the older form by name
    (the first field of that name, or a new one)."""

    values: dict[FieldName, Annotated[str, StringConstraints(max_length=500)]] = Field(
        default={},
        description="field name → value as confirmed (the value read, or the officer's correction)",
    )
    fields: list[FieldChange] = Field(default=[], max_length=500)


@router.post("/documents/{doc_id}/fields/confirm", response_model=Document)
def confirm_document_fields(
    doc_id: str,
    body: ConfirmRequest,
    response: Response,
    if_match: IfMatch,
    backends: BackendsDep,
    who: WhoDep,
) -> Document:
    """Confirm or correct extracted fields; confirmed values become the record's own (number and symbol,
    issuer, issue date, type, validity, signer, signing date). 422 on an unknown field or a bad value,
    with nothing written."""
    editable_document(backends, who, doc_id)
    document = confirm_fields(
        backends.store,
        backends.index,
        doc_id,
        body.fields,
        values=body.values,
        by=who.username,
        if_match=if_match,
    )
    return with_etag(response, document)


class FactsChange(BaseModel):
    """The facts an officer may set or correct; a field left out stays as it is, null clears it."""

    model_config = {"extra": "forbid"}
    valid_from: date | None = None
    valid_until: date | None = None
    number_symbol: str | None = Field(None, examples=["123/QĐ-UBND"])
    issuer: str | None = None
    doc_type: str | None = Field(None, description="a slug, e.g. quyet-dinh (records/doctypes.py or another)")
    title: str | None = None
    signer: str | None = None
    signed_on: date | None = None
    scope: str | None = None


# The body is read as plain JSON and checked by ingest.edits, which says in words which field is wrong and
# why; the schema above documents it.
_FACTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": FactsChange.model_json_schema()}},
    }
}


@router.patch("/documents/{doc_id}", response_model=Document, openapi_extra=_FACTS_BODY)
def edit_document_facts(
    doc_id: str,
    request: Request,
    response: Response,
    if_match: IfMatch,
    backends: BackendsDep,
    who: WhoDep,
    body: Annotated[Any, Body()],
) -> Document:
    """Set or correct a document's facts (validity, number and symbol, issuer, type, title, signer,
    signing date, scope). Each change is kept in the record (`edits`) and on the audit trail with the old
    and the new value; a refused change writes nothing."""
    editable_document(backends, who, doc_id)
    document, made = edit_document(
        backends.store, backends.index, doc_id, body, by=who.username, if_match=if_match
    )
    note(request, record=doc_id, **audit_detail(made))
    return with_etag(response, document)
