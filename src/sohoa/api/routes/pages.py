"""Pages of a document: the cleaned image and the words OCR read on it, with their boxes."""

from __future__ import annotations

import json

from fastapi import APIRouter, Path
from fastapi.responses import Response

from sohoa.api.access import readable_document
from sohoa.api.auth import WhoDep
from sohoa.api.deps import BackendsDep
from sohoa.errors import NotFound
from sohoa.records.models import Page, Word

router = APIRouter(tags=["pages"])


def _page(backends: BackendsDep, who: WhoDep, doc_id: str, number: int) -> Page:
    document = readable_document(backends, who, doc_id)
    for page in document.pages:
        if page.number == number:
            return page
    raise NotFound(f"Tài liệu {doc_id} không có trang {number}", f"document {doc_id} has no page {number}")


@router.get(
    "/pages/{doc_id}/{number}/image",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_page_image(
    doc_id: str, backends: BackendsDep, who: WhoDep, number: int = Path(ge=1, le=100_000)
) -> Response:
    page = _page(backends, who, doc_id, number)
    return Response(backends.store.get_bytes(page.image_key), media_type="image/jpeg")


@router.get("/pages/{doc_id}/{number}/words", response_model=list[Word])
def get_page_words(
    doc_id: str, backends: BackendsDep, who: WhoDep, number: int = Path(ge=1, le=100_000)
) -> list[Word]:
    page = _page(backends, who, doc_id, number)
    return [Word.model_validate(w) for w in json.loads(backends.store.get_bytes(page.words_key))]
