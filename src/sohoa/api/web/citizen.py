"""A citizen's page, "Giấy tờ của tôi": their own digitized documents, each with its validity, how often it
was reused, and a download; and who read them (an official, when, for which dossier), from the audit trail.
Only ever the signed-in person's own documents and reads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sohoa.api.web.render import backends_of, page, signed_in
from sohoa.archive.audit import PaperReads, owner_reads
from sohoa.archive.dossiers import owner_documents
from sohoa.records.access import Role
from sohoa.records.models import LOCAL_TZ
from sohoa.records.titles import paper_title

router = APIRouter()


@router.get("/my", response_class=HTMLResponse)
def my_documents(request: Request) -> HTMLResponse:
    who = signed_in(request, Role.CITIZEN)
    index = backends_of(request).index
    docs = owner_documents(index, who.personal_id) if who.personal_id else []
    reads = (
        owner_reads(index, who.personal_id, username=who.username)
        if who.personal_id
        else PaperReads(total=0, reads=[])
    )
    titles = {
        r.doc_id: paper_title(r.doc_type, r.number_symbol, r.title, r.doc_id)
        for r in (d.document for d in docs)
    }
    return page(request, "my.html", docs=docs, reads=reads, titles=titles, tz=LOCAL_TZ)
