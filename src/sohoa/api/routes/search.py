"""Full-text search over page text, with or without Vietnamese diacritics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from sohoa.api.deps import BackendsDep
from sohoa.search.base import SearchQuery, SearchResults

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResults)
def search(
    backends: BackendsDep,
    q: Annotated[
        str, Query(min_length=1, max_length=500, description='words, "a phrase"; diacritics optional')
    ],
    owner_id: Annotated[str | None, Query(max_length=20)] = None,
    doc_type: Annotated[str | None, Query(max_length=100)] = None,
    dossier_code: Annotated[str | None, Query(max_length=60)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchResults:
    return backends.index.search(
        SearchQuery(
            text=q,
            owner_id=owner_id,
            doc_type=doc_type,
            dossier_code=dossier_code,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            offset=offset,
        )
    )
