"""Full-text search over page text, with or without Vietnamese diacritics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from sohoa.api.auth import WhoDep
from sohoa.api.deps import BackendsDep
from sohoa.records.access import Role
from sohoa.records.models import ValidityStatus
from sohoa.search.base import SearchQuery, SearchResults

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResults)
def search(
    backends: BackendsDep,
    who: WhoDep,
    q: Annotated[
        str, Query(min_length=1, max_length=500, description='words, "a phrase"; diacritics optional')
    ],
    owner_id: Annotated[str | None, Query(max_length=20)] = None,
    doc_type: Annotated[str | None, Query(max_length=100)] = None,
    dossier_code: Annotated[str | None, Query(max_length=60)] = None,
    procedure_code: Annotated[str | None, Query(max_length=40)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    validity: Annotated[ValidityStatus | None, Query(description="as of today at the counter")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchResults:
    """Staff and officers search what their agency digitized; a citizen, their own papers."""
    if who.role is Role.CITIZEN:
        if owner_id not in (None, who.personal_id):
            return SearchResults(total=0, total_exact=True, hits=[])
        owner_id = who.personal_id
    agency = who.agency if who.role in (Role.STAFF, Role.OFFICER) else None
    return backends.index.search(
        SearchQuery(
            text=q,
            owner_id=owner_id,
            agency=agency,
            doc_type=doc_type,
            dossier_code=dossier_code,
            procedure_code=procedure_code,
            date_from=date_from,
            date_to=date_to,
            validity=validity,
            limit=limit,
            offset=offset,
        )
    )
