"""A citizen's page, "Giấy tờ của tôi": their own digitized documents, each with its validity, how often it
was reused, and a download. Only ever the signed-in person's own documents."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sohoa.api.web.render import backends_of, page, signed_in
from sohoa.ingest.dossiers import owner_documents
from sohoa.records.access import Role

router = APIRouter()


@router.get("/my", response_class=HTMLResponse)
def my_documents(request: Request) -> HTMLResponse:
    who = signed_in(request, Role.CITIZEN)
    docs = owner_documents(backends_of(request).index, who.personal_id) if who.personal_id else []
    return page(request, "my.html", docs=docs)
