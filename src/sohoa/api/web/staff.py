"""The scan station (staff): the agency's batches and a new batch from files; a batch live (progress bar,
pages as thumbnails as they finish, the documents it was cut into), and its review list with each page's
image beside its text and the fixes in place (turn, not blank, blank, move, rescan, assign); and the
agency's latest jobs, whatever way in they came."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sohoa.api.routes.batches import visible_batch
from sohoa.api.web.render import backends_of, page, signed_in
from sohoa.ingest.batches import finished_pages, list_batches, page_result
from sohoa.ingest.jobs import list_jobs
from sohoa.records.access import Role
from sohoa.records.batches import BatchStatus
from sohoa.scanners.hotfolder import HotFolder

router = APIRouter()


@router.get("/scan", response_class=HTMLResponse)
def scan_station(request: Request) -> HTMLResponse:
    who = signed_in(request, Role.STAFF, Role.OFFICER)
    batches = [b for b in list_batches(backends_of(request).store) if b.agency == who.agency]
    batches.sort(key=lambda b: b.created_at, reverse=True)
    settings = backends_of(request).settings
    hot = None
    if settings.hot_folder is not None:
        folder = HotFolder(settings.hot_folder, settle=settings.hot_folder_settle)
        hot = (settings.hot_folder, folder.at_rest())
    # Every intake of the agency (uploads, batches, hot folders, scans, `sohoa ingest`) as a job: where each
    # stands, and why one failed.
    jobs = [j for j in list_jobs(backends_of(request).store, limit=500) if j.meta.agency == who.agency]
    return page(request, "scan.html", batches=batches[:50], hot=hot, jobs=jobs[:20])


@router.get("/scan/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, batch_id: str) -> HTMLResponse:
    who = signed_in(request, Role.STAFF, Role.OFFICER)
    store = backends_of(request).store
    batch = visible_batch(backends_of(request), who, batch_id)
    done = sorted(finished_pages(store, batch.id))
    review = []
    if batch.status is BatchStatus.DONE:
        for item in batch.review:
            numbers = [item.page] if item.page else []
            if item.reason == "page_count_mismatch" and item.group is not None:
                numbers = batch.groups[item.group].blank_pages  # a blank back may be a page after all
            shown = [(n, page_result(store, batch, n)) for n in numbers]
            review.append((item, [(n, found) for n, found in shown if found]))
    return page(request, "batch.html", batch=batch, done=done, review=review, staff=who.role is Role.STAFF)


@router.get("/scan/{batch_id}/thumbnails", response_class=HTMLResponse)
def thumbnails(request: Request, batch_id: str) -> HTMLResponse:
    """The pages read so far, for the live view to swap in while the batch runs."""
    who = signed_in(request, Role.STAFF, Role.OFFICER)
    store = backends_of(request).store
    batch = visible_batch(backends_of(request), who, batch_id)
    return page(request, "_thumbnails.html", batch=batch, done=sorted(finished_pages(store, batch.id)))
