"""A job: one intake (an upload, a batch upload, a hot folder stack, a scan, a `sohoa ingest` file) as a
record written before any work starts, so that work a process was doing when it died is found and finished
(or, when it cannot be, said to have failed) by the next process that looks.

A job whose files were kept in storage (`stored`: a stack's sources) can be finished by any process; one
whose files were a person's local files or an upload in transit (`stored` False) cannot, and is marked failed
when its owner is found dead. `owner` and `heartbeat_at` say which process runs it and that it still lives.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from sohoa.records.basics import NfcStr, utcnow
from sohoa.records.models import DocumentKind

JOB_ID = r"^job-[0-9a-f]{16}$"
MAX_ERRORS = 20  # a job's error list is for people, not a log


class JobState(StrEnum):
    QUEUED = "queued"  # written, no work started yet
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)


class JobMeta(BaseModel):
    """What the person said about the files (the `IngestMeta` of the intake, minus what is per document)."""

    name: NfcStr = ""
    by: str = "system"
    agency: str | None = None
    owner_id: str | None = None
    doc_type: str | None = None
    dossier_code: NfcStr | None = None
    kind: DocumentKind = DocumentKind.COMPONENT


class Job(BaseModel):
    id: str = Field(pattern=JOB_ID)
    source: str  # ingest.intake.Source
    cut: Literal["each_file", "cover_sheets"]
    state: JobState = JobState.QUEUED
    files: list[str] = []  # object keys when `stored`, else the local paths the intake named
    stored: bool = False
    labels: list[NfcStr] = []
    meta: JobMeta = Field(default_factory=JobMeta)
    batch_id: str | None = None
    pages_done: int = 0
    pages_total: int = 0
    documents: list[str] = []  # ids made or found
    errors: list[NfcStr] = []  # "vi / en"
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    owner: str | None = None  # "host:pid" of the process running it
    heartbeat_at: datetime | None = None
    heartbeat_seconds: float = 5.0  # the owner's interval: it is dead after three missed beats

    def owner_dead(self, now: datetime) -> bool:
        """Its owner stopped beating (or never started it) three intervals ago."""
        last = self.heartbeat_at or self.updated_at
        return now - last > timedelta(seconds=3 * self.heartbeat_seconds)


def new_job_id() -> str:
    return f"job-{uuid.uuid4().hex[:16]}"
