"""Dossiers: receive one (the code and the reception time are issued here), read it with the documents the
caller may read, move it on or close it, attach a reused document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sohoa.api.access import readable_document, readable_dossier
from sohoa.api.auth import WhoDep, note
from sohoa.api.deps import BackendsDep
from sohoa.api.watch import watch_new_dossier
from sohoa.archive import idempotency
from sohoa.archive.dossiers import create_dossier, load_dossier, reuse_document, set_status
from sohoa.errors import Forbidden
from sohoa.records.dossiers import Dossier, DossierForm, DossierView, NewDossier, ReuseEvent, StatusChange
from sohoa.records.models import utcnow

router = APIRouter(tags=["dossiers"])


@router.post("/dossiers", status_code=201, response_model=DossierView)
def receive_dossier(
    form: DossierForm,
    request: Request,
    backends: BackendsDep,
    who: WhoDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            max_length=100,
            description="any unique string (a UUID): a retry with the same key answers the dossier the "
            "first try created instead of creating another",
        ),
    ] = None,
) -> JSONResponse:
    """Receive a dossier at the officer's own agency, now: the reception time is the server's clock (a
    `received_at` sent is refused), since the dossier opens the applicant's papers to the agency. Once the
    dossier is stored the answer is 201, even if the search index failed (it catches up: `sohoa catch-up`)."""
    if form.agency != who.agency:
        raise Forbidden(
            "Chỉ tiếp nhận hồ sơ cho cơ quan của mình", "dossiers are received for your own agency"
        )
    store = backends.store
    # What the client sent (not defaults the server filled in) is the request a key stands for.
    asked = idempotency.request_hash(form.model_dump_json(exclude_unset=True).encode())
    earlier = idempotency.claim(store, who.username, idempotency_key, asked) if idempotency_key else None
    if earlier is not None and earlier.result is not None:
        view, status = load_dossier(store, earlier.result), earlier.status or 201
        note(request, record=view.code, replayed="true")
        headers = {"Location": f"/api/v1/dossiers/{view.code}", "Idempotent-Replayed": "true"}
        return JSONResponse(view.model_dump(mode="json"), status_code=status, headers=headers)
    new = NewDossier(**form.model_dump(), received_at=utcnow())
    dossier = create_dossier(
        store, backends.index, new, by=who.username, pattern=backends.settings.dossier_code_pattern
    )
    if idempotency_key:
        idempotency.settle(store, who.username, idempotency_key, asked, result=dossier.code, status=201)
    applicant = dossier.applicant.id_number
    note(request, record=dossier.code)
    who.trail["owner"] = applicant  # on the trail: what the flag below counts
    watch_new_dossier(
        backends,
        who,
        applicant,
        route="POST /api/v1/dossiers",
        client=request.client.host if request.client else None,
    )
    view = DossierView(**dossier.model_dump())
    return JSONResponse(
        view.model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/dossiers/{dossier.code}"},
    )


@router.get("/dossiers/{code}", response_model=DossierView)
def get_dossier(code: str, backends: BackendsDep, who: WhoDep) -> DossierView:
    """The dossier and the links to the documents the caller may read."""
    return readable_dossier(backends, who, code)


@router.post("/dossiers/{code}/status", response_model=Dossier)
def change_status(code: str, body: StatusChange, backends: BackendsDep, who: WhoDep) -> Dossier:
    """Move a dossier of the officer's agency on: processing, or closed as done or returned (then the
    applicant's papers at other agencies stay readable for SOHOA_DOSSIER_ACCESS_DAYS more days)."""
    readable_dossier(backends, who, code)  # an officer reads only dossiers of their own agency
    return set_status(backends.store, backends.index, code, body.status, by=who.username)


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
