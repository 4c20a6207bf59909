"""Dossiers: receive one (the code is issued here), read it with its documents, attach a reused document."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sohoa.api.deps import ActorDep, BackendsDep
from sohoa.ingest.dossiers import create_dossier, load_dossier, reuse_document
from sohoa.records.dossiers import DossierView, NewDossier, ReuseEvent

router = APIRouter(tags=["dossiers"])


@router.post("/dossiers", status_code=201, response_model=DossierView)
def receive_dossier(new: NewDossier, backends: BackendsDep, actor: ActorDep) -> JSONResponse:
    dossier = create_dossier(
        backends.store, backends.index, new, by=actor, pattern=backends.settings.dossier_code_pattern
    )
    view = DossierView(**dossier.model_dump())
    return JSONResponse(
        view.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/dossiers/{dossier.code}"},
    )


@router.get("/dossiers/{code}", response_model=DossierView)
def get_dossier(code: str, backends: BackendsDep) -> DossierView:
    return load_dossier(backends.store, code)


class ReuseRequest(BaseModel):
    doc_id: str = Field(pattern=r"^[0-9a-f]{24}$")


@router.post("/dossiers/{code}/reuse", status_code=201, response_model=ReuseEvent)
def attach_reused(code: str, body: ReuseRequest, backends: BackendsDep, actor: ActorDep) -> ReuseEvent:
    """Attach an earlier digitized document to this dossier instead of new paper (a link, logged)."""
    return reuse_document(backends.store, backends.index, code, body.doc_id, by=actor)
