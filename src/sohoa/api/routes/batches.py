"""Scanned batches: where a stack stands (pages done of all, documents, flagged pages), a live stream of it
as server-sent events for the scan station's progress bar, and assigning pages that came without a cover."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sohoa.api.auth import WhoDep
from sohoa.api.backends import Backends
from sohoa.api.deps import BackendsDep
from sohoa.errors import NotFound
from sohoa.ingest.batches import assign_group, load_batch
from sohoa.records.access import Principal
from sohoa.records.batches import Batch, BatchStatus

router = APIRouter(tags=["batches"])
_POLL_SECONDS = 0.5


def _visible_batch(backends: Backends, who: Principal, batch_id: str) -> Batch:
    batch = load_batch(backends.store, batch_id)
    if batch.agency != who.agency:
        raise NotFound(f"Không tìm thấy lô quét {batch_id[:40]}", f"batch {batch_id[:40]} not found")
    return batch


@router.get("/batches/{batch_id}", response_model=Batch)
def get_batch(batch_id: str, backends: BackendsDep, who: WhoDep) -> Batch:
    """A batch of its agency: progress, the documents it was cut into, what needs a second look."""
    return _visible_batch(backends, who, batch_id)


class AssignRequest(BaseModel):
    dossier_code: str = Field(min_length=1, max_length=60)


@router.post("/batches/{batch_id}/groups/{group}/assign", response_model=Batch)
def assign(
    batch_id: str,
    group: Annotated[int, Path(ge=0, le=10_000)],
    body: AssignRequest,
    backends: BackendsDep,
    who: WhoDep,
) -> Batch:
    """Give the pages scanned before the first cover sheet (an unassigned group) to a dossier."""
    _visible_batch(backends, who, batch_id)
    return assign_group(backends.store, backends.index, batch_id, group, body.dossier_code, by=who.username)


@router.get(
    "/batches/{batch_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
def batch_events(batch_id: str, backends: BackendsDep, who: WhoDep) -> StreamingResponse:
    """Server-sent events: the batch each time it moves on (`event: progress`), until it is done or failed."""
    first = _visible_batch(backends, who, batch_id)

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
