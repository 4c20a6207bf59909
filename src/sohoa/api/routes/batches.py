"""Scanned batches: start one from uploaded files, list them, where a stack stands (pages done of all,
documents, flagged pages), a live stream of it as server-sent events for the scan station's progress bar,
each page as read with its image, and what staff fix at review (turn, not blank, blank, move, scan again,
assign pages that came without a cover)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sohoa.api.auth import WhoDep, note
from sohoa.api.backends import Backends
from sohoa.api.deps import BackendsDep
from sohoa.api.uploads import spool_to
from sohoa.archive.dossier_codes import foreign_dossier
from sohoa.errors import BadInput, Conflict, NotFound
from sohoa.ingest import runs
from sohoa.ingest.batches import (
    PageResult,
    assign_group,
    fix_page,
    list_batches,
    load_batch,
    page_image_key,
    page_result,
)
from sohoa.ingest.intake import Source, prepare, stack
from sohoa.ingest.pipeline import IngestMeta
from sohoa.ingest.runs import MAX_FILES
from sohoa.records.access import Principal
from sohoa.records.basics import LOCAL_TZ, utcnow
from sohoa.records.batches import Batch, BatchStatus, FixAction, PageFix
from sohoa.scanners.hotfolder import HotFolder

router = APIRouter(tags=["batches"])
_POLL_SECONDS = 0.5


class BatchSummary(BaseModel):
    id: str
    name: str
    status: BatchStatus
    pages_done: int
    total_pages: int
    documents: int
    flagged: int
    created_at: datetime


@router.get("/batches", response_model=list[BatchSummary])
def get_batches(
    backends: BackendsDep,
    who: WhoDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> list[BatchSummary]:
    """The batches of the caller's agency, newest first."""
    found = [b for b in list_batches(backends.store) if b.agency == who.agency]
    found.sort(key=lambda b: b.created_at, reverse=True)
    return [
        BatchSummary(
            id=b.id,
            name=b.name,
            status=b.status,
            pages_done=b.pages_done,
            total_pages=b.total_pages,
            documents=b.documents,
            flagged=b.flagged,
            created_at=b.created_at,
        )
        for b in found[offset : offset + limit]
    ]


@router.post("/batches", status_code=202, response_model=Batch)
def start_batch(
    request: Request,
    backends: BackendsDep,
    who: WhoDep,
    files: Annotated[list[UploadFile], File(description="the stack, in order: PDF, TIFF, PNG or JPEG scans")],
    name: Annotated[str | None, Form(max_length=200)] = None,
) -> JSONResponse:
    """Start a batch from uploaded scan files (read in the background; follow it with GET or the event
    stream). Every file is checked first: one refused file refuses the batch, and nothing is stored."""
    settings = backends.settings
    if not files or len(files) > MAX_FILES:
        raise BadInput(f"Cần từ 1 đến {MAX_FILES} tệp", f"send 1 to {MAX_FILES} files")
    settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-batch-", dir=settings.scratch_dir))
    try:
        paths, size = [], 0
        for k, upload in enumerate(files, 1):
            path = folder / f"{k:04d}"  # the client's file name is a label only
            size = spool_to(upload.file, path, limit=settings.max_upload_bytes, used=size)
            paths.append(path)
        label = (name or files[0].filename or "upload").strip()[:200] or "upload"
        intake = stack(
            Source.BATCH_UPLOAD,
            tuple(paths),
            IngestMeta(name=label, by=who.username, agency=who.agency),
            labels=tuple((u.filename or f"{k}")[:200] for k, u in enumerate(files, 1)),
        )
        batch = prepare(backends.ingest, intake)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    runs.start(backends.ingest, intake, batch, scratch=folder)
    return _accepted(request, batch)


def _accepted(request: Request, batch: Batch) -> JSONResponse:
    note(request, record=batch.id)
    return JSONResponse(
        batch.model_dump(mode="json"), status_code=202, headers={"Location": f"/api/v1/batches/{batch.id}"}
    )


@router.post("/batches/folder", status_code=202, response_model=Batch)
def start_from_folder(request: Request, backends: BackendsDep, who: WhoDep) -> JSONResponse:
    """Read the files at rest in this station's hot folder (SOHOA_HOT_FOLDER) as one batch, in name order.
    They move to processing/ while read, then to done/ (or failed/, with the reason). A refused file
    refuses the batch: every file is put back and nothing is stored."""
    root = backends.settings.hot_folder
    if root is None:
        raise Conflict(
            "Trạm quét này chưa có thư mục quét (SOHOA_HOT_FOLDER)", "this station has no hot folder set"
        )
    folder = HotFolder(root, settle=backends.settings.hot_folder_settle)
    batch = runs.start_hot_folder(backends.ingest, folder, IngestMeta(by=who.username, agency=who.agency))
    return _accepted(request, batch)


class ScanRequest(BaseModel):
    """A scan on the SANE scanner attached to this server (the scan station's own machine)."""

    device: str = Field(min_length=1, max_length=200, pattern=r"^[\w:./@-]+$", description="scanimage -L")
    source: str | None = Field(default=None, max_length=60, pattern=r"^[\w ]+$", description="e.g. ADF")
    duplex: bool = False
    dpi: int = Field(default=300, ge=75, le=1200)
    mode: Literal["Color", "Gray", "Lineart"] = "Color"
    count: int | None = Field(
        default=None, ge=1, le=1000, description="pages; default: until the feeder is empty"
    )
    name: str | None = Field(default=None, max_length=200)


@router.post("/batches/scan", status_code=202, response_model=Batch)
def start_scan(body: ScanRequest, request: Request, backends: BackendsDep, who: WhoDep) -> JSONResponse:
    """Scan a stack on the station's SANE scanner; each page is read as soon as it is scanned. Follow it
    with GET or the event stream; a scanner error ends the batch as failed, with the scanner's message."""
    from sohoa.scanners.sane import ScanSettings, scan_pages

    name = (body.name or "").strip() or f"scan {utcnow().astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"
    meta = IngestMeta(name=name, by=who.username, agency=who.agency)
    ctx = backends.ingest
    batch = runs.open_scan(ctx, meta)  # visible before the first page
    folder = ctx.scratch(f"{batch.id}-")
    scan = ScanSettings(body.device, body.source, body.duplex, body.dpi, body.mode, body.count)
    intake = stack(Source.SCANNER, scan_pages(scan, folder), meta, batch_id=batch.id)
    runs.start(ctx, intake, batch, scratch=folder)
    return _accepted(request, batch)


def visible_batch(backends: Backends, who: Principal, batch_id: str) -> Batch:
    batch = load_batch(backends.store, batch_id)
    if batch.agency != who.agency:
        raise NotFound(f"Không tìm thấy lô quét {batch_id[:40]}", f"batch {batch_id[:40]} not found")
    return batch


@router.get("/batches/{batch_id}", response_model=Batch)
def get_batch(batch_id: str, backends: BackendsDep, who: WhoDep) -> Batch:
    """A batch of its agency: progress, the documents it was cut into, what needs a second look."""
    return visible_batch(backends, who, batch_id)


def _page_number(batch: Batch, number: int) -> int:
    if not 1 <= number <= batch.total_pages:
        raise NotFound(f"Lô quét không có trang {number}", f"batch {batch.id} has no page {number}")
    return number


@router.get("/batches/{batch_id}/pages/{number}", response_model=PageResult)
def get_batch_page(
    batch_id: str, backends: BackendsDep, who: WhoDep, number: Annotated[int, PathParam(ge=1, le=100_000)]
) -> PageResult:
    """A page of the stack as it stands: its fate (content, blank back, cover) and what was read on it."""
    batch = visible_batch(backends, who, batch_id)
    found = page_result(backends.store, batch, _page_number(batch, number))
    if found is None:
        raise NotFound(f"Trang {number} chưa đọc xong", f"page {number} is not read yet")
    return found


@router.get(
    "/batches/{batch_id}/pages/{number}/image",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_batch_page_image(
    batch_id: str, backends: BackendsDep, who: WhoDep, number: Annotated[int, PathParam(ge=1, le=100_000)]
) -> Response:
    """The page as cleaned (upright, straight, cropped); a cover sheet has no image of its own."""
    batch = visible_batch(backends, who, batch_id)
    key = page_image_key(backends.store, batch, _page_number(batch, number))
    if key is None:
        raise NotFound(f"Trang {number} không có ảnh", f"page {number} has no image")
    return Response(
        backends.store.get_bytes(key), media_type="image/jpeg", headers={"Cache-Control": "private"}
    )


class FixRequest(BaseModel):
    action: FixAction
    turn: int | None = Field(default=None, description="rotate: 90, 180 or 270 degrees clockwise")
    group: int | None = Field(default=None, ge=0, le=10_000, description="move: the group it belongs to")


@router.post("/batches/{batch_id}/pages/{number}/fix", response_model=Batch)
def fix(
    batch_id: str,
    number: Annotated[int, PathParam(ge=1, le=100_000)],
    body: FixRequest,
    backends: BackendsDep,
    who: WhoDep,
) -> Batch:
    """Staff fix a page at review; the documents it touches are made again, the others stay as they are."""
    visible_batch(backends, who, batch_id)
    return fix_page(
        backends.ingest,
        batch_id,
        PageFix(page=number, action=body.action, turn=body.turn, group=body.group, by=who.username),
    )


class AssignRequest(BaseModel):
    dossier_code: str = Field(min_length=1, max_length=60)


@router.post("/batches/{batch_id}/groups/{group}/assign", response_model=Batch)
def assign(
    batch_id: str,
    group: Annotated[int, PathParam(ge=0, le=10_000)],
    body: AssignRequest,
    backends: BackendsDep,
    who: WhoDep,
) -> Batch:
    """Give the pages scanned before the first cover sheet (an unassigned group) to a dossier of the
    staff's agency; another agency's dossier answers as one that does not exist."""
    visible_batch(backends, who, batch_id)
    if foreign_dossier(backends.store, body.dossier_code, who.agency):
        code = body.dossier_code
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found")
    return assign_group(backends.store, backends.index, batch_id, group, body.dossier_code, by=who.username)


@router.get(
    "/batches/{batch_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def batch_events(batch_id: str, backends: BackendsDep, who: WhoDep) -> StreamingResponse:
    """Server-sent events: the batch each time it moves on (`event: progress`), until it is done or failed."""
    first = visible_batch(backends, who, batch_id)

    async def events() -> AsyncIterator[str]:
        batch, last = first, None
        while True:
            if batch.updated_at != last:
                last = batch.updated_at
                yield f"event: progress\ndata: {batch.model_dump_json()}\n\n"
            if batch.status is not BatchStatus.RUNNING:
                return
            await asyncio.sleep(_POLL_SECONDS)
            batch = await run_in_threadpool(load_batch, backends.store, batch_id)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
