"""A scanned stack (batch) as the records see it: each page's fate (content, blank back, cover sheet), the
documents the cover sheets cut it into, page counts against what the cover sheet promised, and the list of
what staff should look at again. Nothing is dropped silently: blank backs and cover sheets stay listed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from sohoa.records.basics import NfcStr, utcnow
from sohoa.records.models import DocumentKind

# A document type as a cover sheet names it: a slug of `records.doctypes` or one of the same shape.
DOC_TYPE_SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class CoverSheet(BaseModel):
    """What a cover sheet's QR code carries (printed by sohoa for a dossier before its papers are scanned)."""

    dossier_code: NfcStr
    procedure_code: str = ""
    owner_id: str | None = None
    expected_pages: int | None = Field(default=None, ge=0, le=10_000)  # content pages, blank backs excluded
    # What the papers behind it are: a stack of results (a permit, a certificate) gets result codes.
    kind: DocumentKind = DocumentKind.COMPONENT
    doc_type: str | None = Field(default=None, max_length=60, pattern=DOC_TYPE_SLUG)
    # Why what the QR code says cannot be used (an unknown kind, a newer sheet): its pages make no document.
    refused: NfcStr | None = None


class PageKind(StrEnum):
    CONTENT = "content"
    BLANK = "blank"  # a blank back: not in the document, kept in the batch record
    COVER = "cover"  # a cover sheet: starts a document, not content


class BatchPage(BaseModel):
    number: int  # in the stack, from 1
    kind: PageKind
    cover: CoverSheet | None = None
    rotation: int = 0
    needs_review: bool = False
    review_reasons: list[str] = []
    run: str = ""  # the run that processed it (a page is processed by exactly one run)


class BatchGroup(BaseModel):
    """The pages between one cover sheet and the next: one document."""

    cover: CoverSheet | None = None  # None: pages before the first cover sheet ("unassigned")
    cover_page: int | None = None
    pages: list[int] = []  # content pages, in stack order
    blank_pages: list[int] = []
    doc_id: str | None = None
    assigned_to: str | None = None  # a dossier staff assigned pages without a cover sheet to
    assigned_by: str | None = None
    fixes_seen: int = 0  # how many of the batch's fixes its document reflects

    @property
    def unassigned(self) -> bool:
        return self.cover is None and self.assigned_to is None

    @property
    def page_count_mismatch(self) -> bool:
        expected = self.cover.expected_pages if self.cover else None
        return expected is not None and expected != len(self.pages)


class ReviewItem(BaseModel):
    page: int | None = None  # a page, or (None) a whole group
    group: int | None = None
    # low_confidence, orientation_uncertain, maybe_blank, page_count_mismatch, unassigned, cover_refused,
    # signature_split
    reason: str
    detail: NfcStr = ""


class FixAction(StrEnum):
    """What staff can do to a page at review."""

    ROTATE = "rotate"  # read again, turned by `turn` degrees clockwise from how it was shown
    NOT_BLANK = "not_blank"  # read again as content: it is not a blank back
    BLANK = "blank"  # set aside as a blank back after all
    MOVE = "move"  # belongs to another document of the batch (`group`)
    RESCAN = "rescan"  # the paper must go through the scanner again; listed until then


class PageFix(BaseModel):
    page: int = Field(ge=1)
    action: FixAction
    turn: int | None = None  # ROTATE: 90, 180 or 270
    group: int | None = None  # MOVE: the group it goes to
    by: str
    at: datetime = Field(default_factory=utcnow)


class BatchStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Batch(BaseModel):
    id: str
    name: NfcStr
    sources: list[str]  # storage keys of the files as captured
    total_pages: int
    pages_done: int = 0
    status: BatchStatus = BatchStatus.RUNNING
    error: NfcStr | None = None
    groups: list[BatchGroup] = []
    review: list[ReviewItem] = []
    fixes: list[PageFix] = []  # what staff changed at review, in order
    by: str = "system"
    agency: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    job_id: str | None = None  # the job reading it now, or that read it last (records.jobs)

    @property
    def documents(self) -> int:
        return sum(1 for g in self.groups if g.doc_id)

    @property
    def flagged(self) -> int:
        return len({r.page for r in self.review if r.page is not None})


def group_pages(pages: list[BatchPage], moves: dict[int, int] | None = None) -> list[BatchGroup]:
    """Cut the stack at its cover sheets. Pages before the first cover form an unassigned group. `moves`
    sends a page to another group (page number: group index), as staff decided at review."""
    groups: list[BatchGroup] = []
    current: BatchGroup | None = None
    for page in sorted(pages, key=lambda p: p.number):
        if page.kind is PageKind.COVER:
            current = BatchGroup(cover=page.cover, cover_page=page.number)
            groups.append(current)
            continue
        if current is None:
            current = BatchGroup()
            groups.append(current)
        (current.blank_pages if page.kind is PageKind.BLANK else current.pages).append(page.number)
    for number, target in (moves or {}).items():
        if not 0 <= target < len(groups):
            continue
        for group in groups:
            for kept in (group.pages, group.blank_pages):
                if number in kept:
                    kept.remove(number)
        groups[target].pages = sorted([*groups[target].pages, number])
    return groups


def review_list(
    pages: list[BatchPage], groups: list[BatchGroup], fixes: list[PageFix] | None = None
) -> list[ReviewItem]:
    """What staff should look at: each flagged page (until staff fixed it), each page waiting to be scanned
    again, each group without a dossier, each page count that does not match its cover sheet, each cover
    sheet whose QR code could not be used."""
    fixed: set[int] = set()
    rescan: set[int] = set()  # asked for, and not fixed since
    for fix in fixes or []:
        if fix.action is FixAction.RESCAN:
            rescan.add(fix.page)
        else:
            fixed.add(fix.page)
            rescan.discard(fix.page)
    items = [
        ReviewItem(page=p.number, reason=reason)
        for p in sorted(pages, key=lambda p: p.number)
        if p.number not in fixed
        for reason in p.review_reasons
    ]
    items += [ReviewItem(page=n, reason="rescan_requested") for n in sorted(rescan)]
    for n, group in enumerate(groups):
        if group.unassigned and (group.pages or group.blank_pages):
            items.append(ReviewItem(group=n, reason="unassigned", detail="trang trước tờ bìa đầu tiên"))
        if group.page_count_mismatch and group.cover is not None:
            detail = f"tờ bìa ghi {group.cover.expected_pages} trang, quét được {len(group.pages)}"
            items.append(ReviewItem(group=n, reason="page_count_mismatch", detail=detail))
        if group.cover is not None and group.cover.refused:
            items.append(ReviewItem(group=n, reason="cover_refused", detail=group.cover.refused))
    return items
