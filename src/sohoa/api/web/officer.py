"""The officer's pages: one search box (diacritics optional) with filters and snippets; a document, its page
image with the matched words marked from their OCR boxes beside the text, its fields to confirm; receiving a
new dossier; a dossier with its documents and the applicant's digitized documents, attached in one click.
Staff and citizens may open a document they can read too."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from sohoa.api.access import handles_owner, readable_document, readable_dossier
from sohoa.api.web.highlight import matched_words
from sohoa.api.web.render import backends_of, page, signed_in
from sohoa.archive import load_document
from sohoa.archive.documents import document_version
from sohoa.archive.dossiers import owner_documents
from sohoa.errors import NotFound
from sohoa.records.access import Role, may_read
from sohoa.records.doctypes import DOC_TYPES
from sohoa.records.models import Word
from sohoa.search.base import InvalidQuery, SearchQuery

router = APIRouter()
PAGE_SIZE = 20


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    owner_id: Annotated[str, Query(max_length=20)] = "",
    doc_type: Annotated[str, Query(max_length=100)] = "",
    dossier_code: Annotated[str, Query(max_length=60)] = "",
    procedure_code: Annotated[str, Query(max_length=40)] = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
    validity: Annotated[str, Query(max_length=10)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> HTMLResponse:
    who = signed_in(request, Role.OFFICER, Role.STAFF)
    form = {
        "q": q,
        "owner_id": owner_id,
        "doc_type": doc_type,
        "dossier_code": dossier_code,
        "procedure_code": procedure_code,
        "date_from": date_from,
        "date_to": date_to,
        "validity": validity,
    }
    results, error = None, None
    if q.strip():
        try:
            query = SearchQuery(
                text=q,
                owner_id=owner_id.strip() or None,
                doc_type=doc_type or None,
                dossier_code=dossier_code.strip() or None,
                procedure_code=procedure_code.strip() or None,
                validity=validity or None,
                agency=who.agency,
                date_from=date.fromisoformat(date_from) if date_from else None,
                date_to=date.fromisoformat(date_to) if date_to else None,
                limit=PAGE_SIZE,
                offset=offset,
            )
            results = backends_of(request).index.search(query)
        except (ValidationError, ValueError, InvalidQuery) as exc:
            error = str(exc).splitlines()[0][:300]
    status = 400 if error else 200
    return page(
        request,
        "search.html",
        status=status,
        form=form,
        results=results,
        error=error,
        offset=offset,
        page_size=PAGE_SIZE,
        doc_types=DOC_TYPES,
    )


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def document_page(
    request: Request,
    doc_id: str,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    q: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    who = signed_in(request, Role.OFFICER, Role.STAFF, Role.CITIZEN)
    backends = backends_of(request)
    document = readable_document(backends, who, doc_id)
    shown = next((p for p in document.pages if p.number == page_number), None)
    if shown is None:
        raise NotFound(f"Tài liệu không có trang {page_number}", f"the document has no page {page_number}")
    words = [Word.model_validate(w) for w in json.loads(backends.store.get_bytes(shown.words_key))]
    marked = matched_words(words, q)
    marked_ids = {id(w) for w in marked}
    # Each word with whether the query matched it and, when the correction changed it (ocr.rescore,
    # ocr.glyphs), what the recognizer read: a reviewer sees every change.
    lines: dict[int, list[tuple[str, bool, str | None]]] = {}
    for w in words:
        read = f"{w.ocr_text} ({w.ocr_confidence:.0f}%)" if w.ocr_text is not None else None
        lines.setdefault(w.line, []).append((w.text, id(w) in marked_ids, read))
    editable = who.role is Role.OFFICER and document.agency == who.agency and document.agency is not None
    return page(
        request,
        "document.html",
        document=document,
        shown=shown,
        marked=marked,
        lines=[lines[k] for k in sorted(lines)],
        corrected=sum(1 for w in words if w.ocr_text is not None),
        q=q,
        editable=editable,
        doc_types=DOC_TYPES,
        etag=document_version(document) or "",  # the forms send it as If-Match: no change over another's
    )


@router.get("/dossiers/new", response_class=HTMLResponse)
def new_dossier_page(request: Request) -> HTMLResponse:
    who = signed_in(request, Role.OFFICER)
    return page(request, "new_dossier.html", agency=who.agency)


@router.get("/dossiers/{code}", response_class=HTMLResponse)
def dossier_page(request: Request, code: str) -> HTMLResponse:
    who = signed_in(request, Role.OFFICER, Role.STAFF, Role.CITIZEN)
    backends = backends_of(request)
    dossier = readable_dossier(backends, who, code)  # its links: only papers `who` may read
    linked = []
    for link in dossier.links:
        try:
            linked.append((link, load_document(backends.store, link.doc_id)))
        except NotFound:
            continue
    attached = {link.doc_id for link in dossier.links}
    candidates = []
    if who.role in (Role.OFFICER, Role.CITIZEN):
        # Other agencies' papers only while the dossier gives access to them (api.access).
        applicant = dossier.applicant.id_number
        handles = handles_owner(backends, who, applicant)
        candidates = [
            d
            for d in owner_documents(backends.index, applicant)
            if d.document.doc_id not in attached
            and may_read(who, owner_id=applicant, agency=d.document.agency, handles_owner=handles)
        ]
    own = who.role is Role.OFFICER and who.agency == dossier.agency
    may_attach = own or who.role is Role.CITIZEN
    return page(
        request,
        "dossier.html",
        dossier=dossier,
        linked=linked,
        candidates=candidates,
        may_attach=may_attach,
        may_close=own and dossier.status.open,
    )
