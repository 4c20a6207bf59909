"""Jobs: where any intake stands (an upload, a batch upload, a hot folder stack, a scan, a `sohoa ingest`
file): its state, pages done of all, the documents it made, its errors. Staff and officers see their
agency's jobs, as they see its batches; an administrator sees every job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from sohoa.api.auth import WhoDep
from sohoa.api.deps import BackendsDep
from sohoa.errors import NotFound
from sohoa.ingest.jobs import list_jobs, load_job
from sohoa.records.access import Principal, Role
from sohoa.records.jobs import Job, JobState

router = APIRouter(tags=["jobs"])
_SCANNED = 2_000  # newest jobs looked through for one list; older ones are for `sohoa jobs`


def _visible(who: Principal, job: Job) -> bool:
    return who.role is Role.ADMIN or job.meta.agency == who.agency


def _shown(job: Job) -> Job:
    # Files that never reached storage are paths on the server (an upload in transit): not the client's.
    return job if job.stored else job.model_copy(update={"files": []})


@router.get("/jobs", response_model=list[Job])
def get_jobs(
    backends: BackendsDep,
    who: WhoDep,
    state: Annotated[JobState | None, Query(description="queued, running, done or failed")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Job]:
    """The caller's jobs (their agency's; every job for an administrator), newest first."""
    found = list_jobs(backends.store, state, limit=_SCANNED)
    return [_shown(j) for j in found if _visible(who, j)][:limit]


@router.get("/jobs/{job_id}", response_model=Job)
def get_job(job_id: str, backends: BackendsDep, who: WhoDep) -> Job:
    """One job: state, pages done of all, documents made or found, errors, who runs it and when it last
    said it lives."""
    job = load_job(backends.store, job_id)
    if not _visible(who, job):
        raise NotFound(f"Không tìm thấy việc {job_id[:40]}", f"job {job_id[:40]} not found")
    return _shown(job)
