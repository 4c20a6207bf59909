"""What the index keeps besides pages, for reuse and for the indicators: one summary per document, dossier
and reuse event, and the look-ups on them. Like pages, every record here is rebuilt from storage by reindex.

RecordIndex is the records part of the one index contract, search.base.SearchIndex, which every backend
(SqliteIndex, ElasticIndex) implements whole: callers type their index as SearchIndex.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field, field_validator, model_validator

from sohoa.errors import InvalidValue
from sohoa.records.access import AuditAction, AuditEvent


class DocumentRecord(BaseModel):
    """A document as the reuse look-up needs it, without its pages."""

    doc_id: str
    owner_id: str | None = None
    doc_type: str | None = None
    kind: str = "component"
    title: str | None = None
    number_symbol: str | None = None
    issuer: str | None = None
    doc_date: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    revoked: bool = False
    revoked_on: date | None = None
    revoked_reason: str | None = None
    number_confirmed: bool = True
    needs_review: bool = False
    signature: str | None = None  # verdict on the signatures it arrived with (records.signatures)
    agency: str | None = None
    result_code: str | None = None
    created_at: datetime
    reuse_count: int = 0
    page_count: int = 0
    dossier_code: str | None = None  # the dossier it was digitized for (its scanned link), if any


class DossierRecord(BaseModel):
    code: str
    agency: str
    procedure_code: str
    owner_id: str
    received_on: date
    status: str = "received"  # records.dossiers.DossierStatus
    # Closed: when (Dossier.access_from), from which the access to the applicant's papers runs out.
    closed_at: datetime | None = None


class ReuseRecord(BaseModel):
    id: str
    dossier_code: str
    doc_id: str
    owner_id: str | None = None
    agency: str
    on: date


class DigitizationCounts(BaseModel):
    dossiers: int  # dossiers received
    documents: int  # documents digitized (components and results)
    components: int
    results: int
    reuses: int  # reuse events


class DossierTally(BaseModel):
    """What the indicators need of one dossier: the documents digitized for it (its scanned links, by kind)
    and the earlier documents reused for it. A document both scanned and reused for the same dossier
    counts once, as reused."""

    code: str
    agency: str
    received_on: date
    status: str
    components: int  # components scanned for it (not counting those reused)
    results: int  # results scanned for it
    reused: int  # distinct documents reused for it


class AuditQuery(BaseModel):
    record: str | None = None
    actor: str | None = None
    owner: str | None = None  # whose papers were read (AuditEvent.owner)
    actions: list[AuditAction] = Field(default_factory=list, max_length=20)  # any of these; empty: all
    not_actor: str | None = None  # leave out what this user did (a citizen's own reads)
    succeeded: bool = False  # only answers below 400
    at_from: datetime | None = None
    at_to: datetime | None = None  # excluded
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000)

    @field_validator("at_from", "at_to")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        # Events carry UTC times; an offset such as +22:11 (Python takes up to 24 h, Elasticsearch 18) or a
        # day at the calendar's edge is turned into UTC here or refused, never sent on as given.
        if value is None:
            return None
        try:
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        except (OverflowError, ValueError) as exc:
            raise InvalidValue(
                "Thời điểm nằm ngoài lịch", "the time is off the calendar once turned into UTC"
            ) from exc

    @model_validator(mode="after")
    def _within_the_window(self) -> AuditQuery:
        if self.offset + self.limit > AUDIT_WINDOW:
            raise InvalidValue(
                f"Chỉ xem được {AUDIT_WINDOW} sự kiện đầu; hãy thu hẹp khoảng thời gian",
                f"events are paged within the first {AUDIT_WINDOW} (offset + limit); narrow the period",
            )
        return self


# Both backends page the trail within its first 10,000 events (Elasticsearch's result window).
AUDIT_WINDOW = 10_000


class AuditPage(BaseModel):
    total: int
    events: list[AuditEvent]


@runtime_checkable
class RecordIndex(Protocol):
    """The records part of search.base.SearchIndex (which extends it)."""

    def index_documents(self, documents: list[DocumentRecord]) -> None:
        """Add or replace document summaries (keyed by doc_id)."""
        ...

    def owner_documents(
        self, owner_id: str, doc_type: str | None = None, limit: int = 200
    ) -> list[DocumentRecord]:
        """The owner's documents, newest first (document date, then digitization time)."""
        ...

    def documents_by_number(self, number_symbol: str) -> list[DocumentRecord]: ...

    def index_dossiers(self, dossiers: list[DossierRecord]) -> None: ...

    def index_reuses(self, reuses: list[ReuseRecord]) -> None: ...

    def digitization_counts(
        self, date_from: date, date_to: date, agency: str | None = None
    ) -> DigitizationCounts:
        """Counts over a period (both ends included), for one agency or all."""
        ...

    def dossier_tallies(
        self, date_from: date, date_to: date, agency: str | None = None
    ) -> list[DossierTally]:
        """One tally per dossier received over a period (both ends included), for one agency or all,
        ordered by code."""
        ...

    def access_dossier(self, owner_id: str, agency: str, closed_since: datetime) -> str | None:
        """The code of a dossier received at `agency` naming `owner_id` as applicant that is still open or
        was closed at or after `closed_since` (the newest such), if any: what gives an officer of the agency
        access to the applicant's papers (api.access)."""
        ...

    def index_audit(self, events: list[AuditEvent]) -> None: ...

    def audit_events(self, query: AuditQuery) -> AuditPage:
        """Matching events, newest first."""
        ...
