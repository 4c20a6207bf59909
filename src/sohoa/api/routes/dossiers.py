"""Dossiers: receive one (the code is issued here), read it with its documents, attach a reused document."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sohoa.api.access import readable_document, readable_dossier
from sohoa.api.auth import WhoDep, note
from sohoa.api.deps import BackendsDep
from sohoa.errors import Forbidden
from sohoa.ingest.dossiers import create_dossier, reuse_document
from sohoa.records.dossiers import DossierView, NewDossier, ReuseEvent

router = APIRouter(tags=["dossiers"])


@router.post("/dossiers", status_code=201, response_model=DossierView)
def receive_dossier(new: NewDossier, request: Request, backends: BackendsDep, who: WhoDep) -> JSONResponse:
    """Receive a dossier at the officer's own agency."""
    if new.agency != who.agency:
        raise Forbidden(
            "Chỉ tiếp nhận hồ sơ cho cơ quan của mình", "dossiers are received for your own agency"
        )
    dossier = create_dossier(
        backends.store, backends.index, new, by=who.username, pattern=backends.settings.dossier_code_pattern
    )
    note(request, record=dossier.code)
    view = DossierView(**dossier.model_dump())
    return JSONResponse(
        view.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/dossiers/{dossier.code}"},
    )


@router.get("/dossiers/{code}", response_model=DossierView)
def get_dossier(code: str, backends: BackendsDep, who: WhoDep) -> DossierView:
    return readable_dossier(backends, who, code)


class ReuseRequest(BaseModel):
    doc_id: str = Field(pattern=r"^[0-9a-f]{24}$")


@router.post("/dossiers/{code}/reuse", status_code=201, response_model=ReuseEvent)
def attach_reused(
    code: str, body: ReuseRequest, request: Request, backends: BackendsDep, who: WhoDep
) -> ReuseEvent:
    """Attach an earlier digitized document to this dossier instead of new paper (a link, logged).
    An officer attaches to dossiers of their agency; a citizen, their own documents to their own dossiers."""
    note(request, document=body.doc_id)
    readable_dossier(backends, who, code)
    readable_document(backends, who, body.doc_id)
    return reuse_document(backends.store, backends.index, code, body.doc_id, by=who.username)
