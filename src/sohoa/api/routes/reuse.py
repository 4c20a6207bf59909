"""Reuse look-ups and the digitization indicators."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from sohoa.api.access import check_owner
from sohoa.api.auth import WhoDep
from sohoa.api.deps import BackendsDep
from sohoa.archive.dossiers import OwnerDocument, owner_documents
from sohoa.archive.indicators import DigitizationMetrics, digitization_metrics, period
from sohoa.records.access import Role
from sohoa.records.identifiers import validate_owner_id

router = APIRouter(tags=["reuse"])


@router.get("/owners/{owner_id}/documents", response_model=list[OwnerDocument])
def list_owner_documents(
    owner_id: str,
    backends: BackendsDep,
    who: WhoDep,
    type: Annotated[
        str | None, Query(max_length=100, description="document type, e.g. giay-khai-sinh")
    ] = None,
    valid_on: Annotated[date | None, Query(description="judge validity on this day (default today)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[OwnerDocument]:
    """The owner's digitized documents, newest first, each with why it is (or is not) reusable."""
    owner = validate_owner_id(owner_id).value
    check_owner(backends, who, owner)
    return owner_documents(backends.index, owner, doc_type=type, valid_on=valid_on)[offset : offset + limit]


@router.get("/metrics/digitization", response_model=DigitizationMetrics)
def get_digitization_metrics(
    backends: BackendsDep,
    who: WhoDep,
    date_from: Annotated[
        date | None, Query(alias="from", description="first day (default 1 January)")
    ] = None,
    date_to: Annotated[
        date | None, Query(alias="to", description="last day, included (default today)")
    ] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> DigitizationMetrics:
    """The Decision 766 indicators per period and agency (an officer's own agency), with each month:
    the digitization rate (dossiers received whose components and results are digitized ÷ dossiers
    received) and the reuse rate (documents reused ÷ documents the dossiers needed); and the counts of
    documents and results digitized and reuses logged over the period. Definitions: ingest.indicators."""
    if who.role is Role.OFFICER:
        agency = who.agency
    return digitization_metrics(backends.index, *period(date_from, date_to), agency or None)
