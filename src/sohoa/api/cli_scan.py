"""`sohoa batch`, `sohoa watch`, `sohoa scan` and `sohoa cover-sheet`: scanned stacks from files, a hot
folder or a SANE scanner, digitized as resumable batches, and the cover sheets that cut them into dossiers."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sohoa.api.backends import Backends, make_backends
from sohoa.api.cli_common import backends_or_fail, console, err
from sohoa.api.settings import Settings
from sohoa.errors import BadInput, SohoaError
from sohoa.ingest.intake import Intake, Source, stack
from sohoa.ingest.pipeline import IngestMeta
from sohoa.ingest.runs import new_scan_id
from sohoa.records.batches import Batch
from sohoa.records.models import DocumentKind


def _run(backends: Backends, intake: Intake) -> Batch:
    from sohoa.ingest.jobs import configure, submit_job

    configure(backends.settings.job_heartbeat_seconds)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task((intake.meta.name if intake.meta else "")[:40], total=None)
        taken = submit_job(
            backends.ingest,
            intake,
            progress=lambda p: bar.update(task, completed=p.pages_done, total=p.pages_total),
        )
    assert taken.batch is not None  # a stack is cut at its cover sheets: one batch
    return taken.batch


def _report(batch: Batch) -> None:
    table = Table(
        title=f"Lô {batch.id}: {batch.pages_done}/{batch.total_pages} trang, {batch.documents} tài liệu"
    )
    for column in ("#", "dossier", "pages", "blank backs", "expected", "document"):
        table.add_column(column)
    for n, g in enumerate(batch.groups, 1):
        expected = "" if not g.cover or g.cover.expected_pages is None else str(g.cover.expected_pages)
        flag = " ≠" if g.page_count_mismatch else ""
        code = g.cover.dossier_code if g.cover else "(chưa gán / unassigned)"
        if g.cover and g.cover.kind is DocumentKind.RESULT:
            code += f" (kết quả / result {g.cover.doc_type})" if g.cover.doc_type else " (kết quả / result)"
        table.add_row(
            str(n), code, str(len(g.pages)), str(len(g.blank_pages)), expected + flag, g.doc_id or ""
        )
    console.print(table)
    for item in batch.review:
        where = f"trang {item.page}" if item.page else f"nhóm {(item.group or 0) + 1}"
        console.print(f"[yellow]cần xem lại / review:[/] {where}: {item.reason} {item.detail}")


def batch(
    files: Annotated[list[Path], typer.Argument(help="the stack: one or more scan files, in order")],
    name: Annotated[str, typer.Option(help="a label for the batch")] = "",
    by: Annotated[str, typer.Option(help="who scanned it")] = "cli",
    agency: Annotated[str | None, typer.Option(help="the digitizing agency's code")] = None,
) -> None:
    """Digitize a scanned stack: cut at cover sheets, blank backs set aside, page counts checked. Run it again
    on the same files after an interruption and it finishes the batch."""
    with backends_or_fail() as backends:
        meta = IngestMeta(name=name or files[0].name, by=by, agency=agency)
        _report(_run(backends, stack(Source.CLI, files, meta)))


def watch(
    folder: Annotated[Path, typer.Argument(help="the folder the scanners save into")],
    by: Annotated[str, typer.Option(help="recorded as who scanned")] = "hot-folder",
    agency: Annotated[str | None, typer.Option(help="the digitizing agency's code")] = None,
    settle: Annotated[float, typer.Option(help="seconds a file must stay unchanged")] = 2.0,
    once: Annotated[bool, typer.Option(help="stop when the folder is empty")] = False,
) -> None:
    """Digitize each file saved into FOLDER once it is completely written; move it to done/ or failed/."""
    from sohoa.ingest.runs import watch_hot_folder
    from sohoa.scanners.hotfolder import HotFolder

    def report(path: Path, batch: Batch | None, error: BadInput | None) -> None:
        if error is not None:
            err.print(f"[red]{path.name}:[/] {error.vi} / {error.en}")
        elif batch is not None:
            _report(batch)

    backends = make_backends(Settings())
    try:
        meta = IngestMeta(by=by, agency=agency)
        watch_hot_folder(backends.ingest, HotFolder(folder, settle=settle), meta, once=once, report=report)
    except KeyboardInterrupt:
        pass
    finally:
        backends.close()


def scan(
    device: Annotated[str, typer.Option(help="SANE device name (scanimage -L), e.g. test")],
    source: Annotated[str | None, typer.Option(help="e.g. ADF")] = None,
    duplex: Annotated[bool, typer.Option(help="both sides")] = False,
    dpi: Annotated[int, typer.Option(min=75, max=1200)] = 300,
    mode: Annotated[str, typer.Option(help="Color, Gray or Lineart")] = "Color",
    count: Annotated[
        int | None, typer.Option(help="pages to scan (default: until the feeder is empty)")
    ] = None,
    by: Annotated[str, typer.Option(help="who scans")] = "cli",
    agency: Annotated[str | None, typer.Option(help="the digitizing agency's code")] = None,
    resume: Annotated[
        str | None, typer.Option(help="go on with an interrupted scan batch (its id), with the pages fed now")
    ] = None,
) -> None:
    """Scan a stack from a SANE scanner and digitize it as one batch, each page read as soon as it is
    scanned. The batch id is printed first: if the scan is interrupted, `--resume ID` goes on with it."""
    from sohoa.ingest.batches import load_batch
    from sohoa.scanners.sane import ScanSettings, scan_pages

    batch_id = resume or new_scan_id()
    with backends_or_fail() as backends:
        if resume:
            load_batch(backends.store, resume)  # an id that names no batch is refused, not started afresh
        folder = Path(tempfile.mkdtemp(prefix=f"{batch_id}-", dir=backends.settings.scratch_dir))
        err.print(f"lô / batch: {batch_id}")
        pages = scan_pages(ScanSettings(device, source, duplex, dpi, mode, count), folder)
        name = f"scan {time.strftime('%Y-%m-%d %H:%M')}"
        try:
            meta = IngestMeta(name=name, by=by, agency=agency)
            _report(_run(backends, stack(Source.SCANNER, pages, meta, batch_id=batch_id)))
        except SohoaError:
            err.print(f"Các trang đã quét được giữ lại; tiếp tục / to go on: sohoa scan --resume {batch_id}")
            raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # each page is kept in storage as it arrives


def cover_sheet(
    dossier: Annotated[str, typer.Argument(help="dossier code")],
    out: Annotated[Path, typer.Option("--out", help="the PDF to write")],
    pages: Annotated[int | None, typer.Option(help="expected page count")] = None,
    kind: Annotated[
        DocumentKind, typer.Option(help="what the papers behind it are: component or result")
    ] = DocumentKind.COMPONENT,
    doc_type: Annotated[
        str | None, typer.Option("--type", help="their document type, e.g. giay-phep (results get its code)")
    ] = None,
) -> None:
    """Print a cover sheet (A4 PDF with a QR code) to put on top of the dossier's papers when scanning. With
    `--kind result --type T` the papers behind it are stored as results of type T, with result codes."""
    from pydantic import ValidationError

    from sohoa.archive.dossiers import load_dossier
    from sohoa.records.batches import CoverSheet
    from sohoa.scanners.coversheet import cover_sheet_pdf

    with backends_or_fail() as backends:
        known = load_dossier(backends.store, dossier)
        try:
            cover = CoverSheet(
                dossier_code=known.code,
                procedure_code=known.procedure_code,
                owner_id=known.applicant.id_number,
                expected_pages=pages,
                kind=kind,
                doc_type=doc_type,
            )
        except ValidationError as exc:
            raise BadInput(
                "Số trang hoặc loại văn bản không hợp lệ (loại văn bản viết như giay-phep)",
                "bad page count or document type (a type is written like giay-phep)",
            ) from exc
        cover_sheet_pdf(cover, out, procedure_name=known.procedure_name, owner_name=known.applicant.name)
    console.print(f"đã in / written: {out}")
