"""The indicators a province is scored on for digitization (Decision 766/QĐ-TTg), per agency and period,
with a breakdown by month. Counted from the index (search.records), which reindex rebuilds from storage.

Which dossiers: those received over the period (both ends included, by the receiving day in Vietnam's time),
at one agency or at all; a month's figures are those of the dossiers received in that month.

- A dossier's **components are digitized** when at least one document is linked to it: scanned for it (the
  document's own record names the dossier) or an earlier digitized copy reused for it.
- A dossier **has a result** when a result document was scanned for it, or when its status says processing
  ended (`done` or `returned`: a result was issued, so it is owed). sohoa cannot know more: the result is
  the paper the agency signs at the end, so a result-kind document linked to the dossier is the only trace
  of it in the records, and the status the only sign that one is due before it is scanned. Its result is
  digitized when a result document was scanned for it.
- A dossier is **digitized** when its components are digitized and, if it has a result, that result is
  digitized. `digitization_rate` = digitized dossiers ÷ dossiers received.
- **Documents a dossier needed** are its components: those reused for it plus those scanned for it (a
  document both scanned and reused for the same dossier counts once, as reused); its results are what the
  agency issues, not what the applicant brings. `reuse_rate` = documents reused ÷ documents needed, over the
  dossiers received.

A rate over nothing (no dossier, no document needed) is 0.0. Rates are rounded to 4 decimals.
The activity counts kept from the first version (documents and results digitized, reuse events) are by the
day each happened, whatever dossier they belong to.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, Field

from sohoa.errors import BadInput
from sohoa.records.access import AuditAction
from sohoa.records.dossiers import DossierStatus
from sohoa.records.models import LOCAL_TZ
from sohoa.search.base import SearchIndex
from sohoa.search.records import AuditQuery, DossierTally

MAX_MONTHS = 120  # one answer covers at most ten years, a row a month
# A result was issued: processing ended (the dossier was decided, or its result handed back).
RESULT_ISSUED = frozenset({DossierStatus.DONE.value, DossierStatus.RETURNED.value})

_RECEIVED = "dossiers received over the period (by receiving day), at the agency or at all"
_DIGITIZED = "of those, dossiers whose components are digitized (a document scanned or reused for it) and, "
_DIGITIZED += "when it has a result (a result document scanned for it, or status done/returned), that result"
_RATE_D = "dossiers digitized ÷ dossiers received (0.0 when none was received)"
_REUSED = "documents reused for the dossiers received (distinct per dossier)"
_NEEDED = "documents the dossiers received needed: reused plus scanned components (results not counted)"
_RATE_R = "documents reused ÷ documents needed (0.0 when none was needed)"


class MonthFigures(BaseModel):
    """The indicators of the dossiers received in one month."""

    month: str = Field(description="YYYY-MM")
    dossiers_received: int = Field(description=_RECEIVED)
    digitized: int = Field(description=_DIGITIZED)
    digitization_rate: float = Field(description=_RATE_D)
    reused: int = Field(description=_REUSED)
    needed: int = Field(description=_NEEDED)
    reuse_rate: float = Field(description=_RATE_R)


class DigitizationMetrics(BaseModel):
    date_from: date
    date_to: date
    agency: str | None = Field(description="receiving agency code; none: every agency")
    dossiers_received: int = Field(description=_RECEIVED)
    documents_digitized: int = Field(description="documents digitized over the period (by day digitized)")
    results_digitized: int = Field(description="of which results (by day digitized)")
    reuse_events: int = Field(description="reuses logged over the period (by day reused)")
    dossiers_digitized: int = Field(description=_DIGITIZED)
    digitization_rate: float = Field(description=_RATE_D)
    documents_reused: int = Field(description=_REUSED)
    documents_needed: int = Field(description=_NEEDED)
    reuse_rate: float = Field(description=_RATE_R)
    months: list[MonthFigures] = Field(description="the same figures for each month of the period, in order")
    flags: int = Field(
        default=0,
        description="officers flagged on the audit trail over the period for receiving dossiers for "
        "unusually many different applicants within an hour (at the agency, or at all); listed by "
        "GET /api/v1/audit?action=flag",
    )


def flags_in(index: SearchIndex, date_from: date, date_to: date, agency: str | None) -> int:
    """The unusual-pattern flags (api.watch) put on the trail over the period, at the agency or at all."""
    start = datetime.combine(date_from, time(), LOCAL_TZ)
    end = datetime.combine(date_to + timedelta(days=1), time(), LOCAL_TZ)
    query = AuditQuery(actions=[AuditAction.FLAG], at_from=start, at_to=end, limit=500)
    page = index.audit_events(query)
    if agency is None:
        return page.total
    # A flag names the officer's agency in its detail; flags are few, so the page of them is enough.
    return sum(1 for e in page.events if e.detail.get("agency") == agency)


def is_digitized(tally: DossierTally) -> bool:
    components = tally.components + tally.reused > 0
    # A result scanned for it is its result digitized; with none, a result is still owed once issued.
    return components and (tally.results > 0 or tally.status not in RESULT_ISSUED)


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _months(date_from: date, date_to: date) -> list[str]:
    months, (year, month) = [], (date_from.year, date_from.month)
    while (year, month) <= (date_to.year, date_to.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _figures(month: str, tallies: list[DossierTally]) -> MonthFigures:
    digitized = sum(1 for t in tallies if is_digitized(t))
    reused = sum(t.reused for t in tallies)
    needed = reused + sum(t.components for t in tallies)
    return MonthFigures(
        month=month,
        dossiers_received=len(tallies),
        digitized=digitized,
        digitization_rate=_rate(digitized, len(tallies)),
        reused=reused,
        needed=needed,
        reuse_rate=_rate(reused, needed),
    )


def period(date_from: date | None = None, date_to: date | None = None) -> tuple[date, date]:
    """The period asked for, the year to date by default (how a province's figures are usually asked
    for): from 1 January of the last day's year, to today."""
    end = date_to or datetime.now(LOCAL_TZ).date()
    return date_from or date(end.year, 1, 1), end


def digitization_metrics(
    index: SearchIndex, date_from: date, date_to: date, agency: str | None = None
) -> DigitizationMetrics:
    if date_to < date_from:
        raise BadInput("Ngày kết thúc trước ngày bắt đầu", "the period ends before it starts")
    if (date_to.year - date_from.year) * 12 + date_to.month - date_from.month >= MAX_MONTHS:
        raise BadInput(
            f"Khoảng thời gian dài quá {MAX_MONTHS // 12} năm, hãy chia nhỏ",
            f"the period is longer than {MAX_MONTHS // 12} years: ask for shorter ones",
        )
    counts = index.digitization_counts(date_from, date_to, agency)
    tallies = index.dossier_tallies(date_from, date_to, agency)
    by_month: dict[str, list[DossierTally]] = {m: [] for m in _months(date_from, date_to)}
    for tally in tallies:
        by_month[tally.received_on.strftime("%Y-%m")].append(tally)
    total = _figures("", tallies)
    return DigitizationMetrics(
        date_from=date_from,
        date_to=date_to,
        agency=agency,
        dossiers_received=total.dossiers_received,
        documents_digitized=counts.documents,
        results_digitized=counts.results,
        reuse_events=counts.reuses,
        dossiers_digitized=total.digitized,
        digitization_rate=total.digitization_rate,
        documents_reused=total.reused,
        documents_needed=total.needed,
        reuse_rate=total.reuse_rate,
        months=[_figures(month, items) for month, items in by_month.items()],
        flags=flags_in(index, date_from, date_to, agency),
    )
