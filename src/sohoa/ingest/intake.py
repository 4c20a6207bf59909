"""The one front door: every source (an API upload, a batch upload, a hot folder, a SANE scanner, `sohoa
ingest`) describes what it brings as an `Intake` and hands it to `submit`.

An intake is cut in one of two ways: one document per file (`Cut.EACH_FILE`, `pipeline.ingest_one`), or one
stack cut into documents at its cover sheets (`Cut.COVER_SHEETS`, `stack.run_stack`). Both end in the same
commit step (`pipeline.commit_document`: signatures, result codes, dossier links), so they cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sohoa.errors import Conflict
from sohoa.ingest.context import IngestContext
from sohoa.ingest.pipeline import IngestMeta, IngestOutcome, Progress, ingest_one
from sohoa.ingest.stack import prepare_batch, run_stack
from sohoa.records.batches import Batch


class Source(StrEnum):
    """Where an intake comes from."""

    UPLOAD = "upload"  # one file through the API or the web page
    BATCH_UPLOAD = "batch_upload"  # a stack of files through the API or the scan station
    HOT_FOLDER = "hot_folder"  # files a production scanner saved into a watched folder
    SCANNER = "scanner"  # pages fed from a SANE scanner, read as they arrive
    CLI = "cli"  # files named to `sohoa ingest` or `sohoa batch`


class Cut(StrEnum):
    """How an intake becomes documents."""

    EACH_FILE = "each_file"  # one document per file
    COVER_SHEETS = "cover_sheets"  # one stack, cut at its cover sheets


@dataclass(frozen=True)
class Intake:
    """What a source brings: its files (in order; for a scanner, an iterator of pages still arriving) and
    what the person knows about them (`meta`: name, kind, type, owner, dossier, agency, who brings it).
    For a stack, `meta.name` names the batch (its first file's name when empty) and `batch_id` goes on
    with a stack that was interrupted or whose pages are still arriving."""

    source: Source
    files: Iterable[Path]
    meta: IngestMeta | None = None  # None: each file is named by itself and nothing else is known
    cut: Cut = Cut.EACH_FILE
    batch_id: str | None = None
    labels: tuple[str, ...] | None = field(default=None)  # how the person calls each file, for messages


@dataclass(frozen=True)
class Taken:
    """What an intake became: the documents of its files (`Cut.EACH_FILE`, in order) or its batch."""

    outcomes: list[IngestOutcome] = field(default_factory=list)
    batch: Batch | None = None
    job_id: str | None = None  # the job it ran as (`ingest.jobs`), when it ran as one


def stack(
    source: Source,
    files: Iterable[Path],
    meta: IngestMeta,
    *,
    batch_id: str | None = None,
    labels: tuple[str, ...] | None = None,
) -> Intake:
    """An intake of one stack, to be cut at its cover sheets."""
    return Intake(source, files, meta, Cut.COVER_SHEETS, batch_id, labels)


def submit(ctx: IngestContext, intake: Intake, progress: Callable[[Progress], None] | None = None) -> Taken:
    """Digitize what the intake brings, cut as it says; a stack interrupted before goes on."""
    if intake.cut is Cut.COVER_SHEETS:
        meta = intake.meta or IngestMeta(name="")
        batch = run_stack(
            ctx,
            intake.files,
            batch_id=intake.batch_id,
            name=meta.name,
            by=meta.by,
            agency=meta.agency,
            progress=progress,
        )
        return Taken(batch=batch)
    return Taken([ingest_one(ctx, Path(path), intake.meta, progress) for path in intake.files])


def prepare(ctx: IngestContext, intake: Intake) -> Batch:
    """Check every file of a stack and keep them all as a batch not read yet (or find the batch these files
    already are), so that a caller can answer at once and read it after (`runs.start`). A refused file
    refuses the stack, nothing stored; files another agency digitized already are refused too."""
    meta = intake.meta or IngestMeta(name="")
    files = [Path(p) for p in intake.files]
    batch = prepare_batch(ctx, files, name=meta.name, by=meta.by, agency=meta.agency, labels=intake.labels)
    if batch.agency != meta.agency:
        raise Conflict(
            "Các tệp này đã được số hóa ở cơ quan khác", "these files were digitized by another agency"
        )
    return batch
