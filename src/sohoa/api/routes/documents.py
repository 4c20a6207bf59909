"""Documents: upload a scan (streamed to disk, then ingested), read its record, get its searchable PDF."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from sohoa.api.deps import ActorDep, BackendsDep
from sohoa.errors import TooLarge
from sohoa.ingest import IngestMeta, ingest_file, load_document
from sohoa.ingest.lifecycle import confirm_fields, revoke
from sohoa.records.models import Document, DocumentKind, FieldName

router = APIRouter(tags=["documents"])
_CHUNK = 1024 * 1024


@router.post("/documents", status_code=201, response_model=Document)
def upload_document(
    backends: BackendsDep,
    file: Annotated[UploadFile, File(description="PDF, TIFF, PNG or JPEG scan")],
    owner_id: Annotated[str | None, Form(max_length=20)] = None,
    doc_type: Annotated[str | None, Form(max_length=100)] = None,
    dossier_code: Annotated[str | None, Form(max_length=60)] = None,
    title: Annotated[str | None, Form(max_length=500)] = None,
    kind: Annotated[DocumentKind, Form()] = DocumentKind.COMPONENT,
) -> Response:
    """Ingest one uploaded file as one document. The same file uploaded again answers 200 with the
    document already stored."""
    settings = backends.settings
    # The client's file name is kept as a label only; on disk the upload gets a name of our choosing.
    with tempfile.NamedTemporaryFile(dir=settings.scratch_dir, prefix="upload-") as tmp:
        size = 0
        while chunk := file.file.read(_CHUNK):
            size += len(chunk)
            if size > settings.max_upload_bytes:
                raise TooLarge(
                    f"Tệp vượt quá {settings.max_upload_bytes:,} byte",
                    f"upload exceeds {settings.max_upload_bytes:,} bytes",
                )
            tmp.write(chunk)
        tmp.flush()
        outcome = ingest_file(
            Path(tmp.name),
            store=backends.store,
            index=backends.index,
            meta=IngestMeta(
                name=Path(file.filename or "upload").name[:255],
                owner_id=owner_id or None,
                doc_type=doc_type or None,
                dossier_code=dossier_code or None,
                title=title or None,
                kind=kind,
            ),
            executor=backends.executor,
            options=backends.options,
            limits=backends.limits,
            scratch_root=settings.scratch_dir,
        )
    return JSONResponse(
        outcome.document.model_dump(mode="json"),
        status_code=201 if outcome.created else 200,
        headers={"Location": f"/api/v1/documents/{outcome.document.id}"},
    )


@router.get("/documents/{doc_id}", response_model=Document)
def get_document(doc_id: str, backends: BackendsDep) -> Document:
    return load_document(backends.store, doc_id)


@router.get(
    "/documents/{doc_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_searchable_pdf(doc_id: str, backends: BackendsDep) -> Response:
    document = load_document(backends.store, doc_id)
    data = backends.store.get_bytes(document.searchable_pdf_key or "")
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document.id}.pdf"'},
    )


class RevokeRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


@router.post("/documents/{doc_id}/revoke", response_model=Document)
def revoke_document(doc_id: str, body: RevokeRequest, backends: BackendsDep, actor: ActorDep) -> Document:
    """Mark a result revoked (thu hồi): it stays in the archive with that status and is no longer reusable."""
    return revoke(backends.store, backends.index, doc_id, body.reason, by=actor)


class ConfirmRequest(BaseModel):
    values: dict[FieldName, str] = Field(
        description="field name → value as confirmed (the value read, or the officer's correction)"
    )


@router.post("/documents/{doc_id}/fields/confirm", response_model=Document)
def confirm_document_fields(
    doc_id: str, body: ConfirmRequest, backends: BackendsDep, actor: ActorDep
) -> Document:
    return confirm_fields(backends.store, backends.index, doc_id, body.values, by=actor)
