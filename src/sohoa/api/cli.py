"""The `sohoa` command line: ingest, search, show, ocr, reuse, reindex, serve, users, sign, verify, and a
sample batch for the demo.

Errors print a bilingual message and exit non-zero with the code carried by the exception class.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sohoa.api import (
    cli_fields,
    cli_files,
    cli_fixity,
    cli_jobs,
    cli_metrics,
    cli_package,
    cli_pending,
    cli_scan,
    cli_signatures,
    cli_subscriptions,
    worker,
)
from sohoa.api.backends import Backends, make_backends
from sohoa.api.cli_common import audit, backends_or_fail, console, err, explain, fail, file_failed, severity
from sohoa.api.cli_documents import edit as edit_command
from sohoa.api.cli_users import app as users_app
from sohoa.api.settings import Settings
from sohoa.errors import ExitCode, InvalidValue, SohoaError
from sohoa.records.access import AuditAction
from sohoa.records.models import DocumentKind
from sohoa.scanners import scan_files

app = typer.Typer(
    help="sohoa: số hóa hồ sơ — digitize, search and reuse dossiers and results.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.command("confirm")(cli_fields.confirm)
app.command("sign")(cli_signatures.sign)
app.command("verify")(cli_signatures.verify)
app.command("batch")(cli_scan.batch)
app.command("watch")(cli_scan.watch)
app.command("scan")(cli_scan.scan)
app.command("cover-sheet")(cli_scan.cover_sheet)
app.command("download")(cli_files.download)
app.command("edit")(edit_command)
app.command("metrics")(cli_metrics.metrics)
app.command("catch-up")(cli_pending.catch_up)
app.command("worker")(worker.worker)
app.command("fixity")(cli_fixity.fixity)
app.command("export")(cli_package.export)
app.command("import")(cli_package.import_)
app.add_typer(cli_jobs.app, name="jobs")
app.add_typer(cli_subscriptions.app, name="subscriptions")
app.command("deliver")(cli_subscriptions.deliver)


def _backends() -> Backends:
    return make_backends(Settings())


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="scan files (PDF, TIFF, PNG, JPEG) or folders of them")],
    owner: Annotated[str | None, typer.Option("--owner", help="owner ID: personal ID or tax code")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="document type, e.g. giay-khai-sinh")] = None,
    dossier: Annotated[str | None, typer.Option("--dossier", help="dossier code")] = None,
    kind: Annotated[DocumentKind, typer.Option(help="component or result")] = DocumentKind.COMPONENT,
    agency: Annotated[
        str | None, typer.Option(help="digitizing agency code (its staff and officers see the documents)")
    ] = None,
) -> None:
    """Digitize files: one file = one document. Files already stored are recognised by content."""
    from sohoa.ingest.intake import Intake, Source
    from sohoa.ingest.jobs import configure as configure_jobs
    from sohoa.ingest.jobs import submit_job
    from sohoa.ingest.pipeline import IngestMeta, IngestOutcome

    files = scan_files(paths)
    if not files:
        err.print("[red]Không có tệp nào để số hóa / no files to ingest[/]")
        raise typer.Exit(ExitCode.BAD_INPUT)
    backends = _backends()
    ctx = backends.ingest
    configure_jobs(backends.settings.job_heartbeat_seconds)
    worst = ExitCode.OK
    try:
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as bar,
            # Files go in side by side so single-page files still keep every core busy; pages of all of them
            # share the one process pool.
            ThreadPoolExecutor(max_workers=backends.settings.workers) as files_pool,
        ):

            def one(file: Path) -> tuple[Path, IngestOutcome | Exception]:
                task = bar.add_task(file.name[:40], total=None)
                meta = IngestMeta(
                    name=file.name,
                    owner_id=owner,
                    doc_type=doc_type,
                    dossier_code=dossier,
                    kind=kind,
                    agency=agency,
                    by="cli",
                )
                try:
                    # Each file its own job: one failure is one failed job, the others go on.
                    (outcome,) = submit_job(
                        ctx,
                        Intake(Source.CLI, (file,), meta),
                        progress=lambda p: bar.update(task, completed=p.pages_done, total=p.pages_total),
                    ).outcomes
                except Exception as exc:  # one file's failure must not cancel the files after it
                    bar.update(task, description=f"[red]✗ {file.name[:38]}")
                    return file, exc
                return file, outcome

            for file, result in files_pool.map(one, files):
                if isinstance(result, Exception):
                    worst = max(worst, file_failed(file, result, backends), key=severity)
                    continue
                doc = result.document
                state = "mới / new" if result.created else "đã có / already stored"
                if result.repaired:
                    state = "đã khôi phục bản lưu bị hỏng / repaired the damaged stored copy"
                # One line per file, however narrow the terminal: scripts split it on the tabs.
                console.print(f"{doc.id}\t{doc.page_count} trang\t{state}\t{file}", soft_wrap=True)
    except SohoaError as exc:
        raise fail(exc) from exc
    finally:
        backends.close()
    if worst is not ExitCode.OK:
        raise typer.Exit(worst)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='words or "a phrase", with or without diacritics')],
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    doc_type: Annotated[str | None, typer.Option("--type")] = None,
    dossier: Annotated[str | None, typer.Option("--dossier")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the text of digitized pages."""
    from pydantic import ValidationError

    from sohoa.search.base import InvalidQuery, SearchQuery

    try:
        q = SearchQuery(
            text=query,
            owner_id=owner,
            doc_type=doc_type,
            dossier_code=dossier,
            date_from=date.fromisoformat(date_from) if date_from else None,
            date_to=date.fromisoformat(date_to) if date_to else None,
            limit=limit,
        )
    except (ValidationError, ValueError) as exc:
        err.print(f"[red]Câu tìm kiếm không hợp lệ / invalid query:[/] {exc}")
        raise typer.Exit(ExitCode.BAD_INPUT) from exc
    backends = _backends()
    filters = {"q": query, "owner_id": owner or "", "doc_type": doc_type or "", "dossier_code": dossier or ""}
    try:
        results = backends.index.search(q)
        audit(backends, AuditAction.SEARCH, "search", record=owner or dossier, **filters)
    except SohoaError as exc:
        if isinstance(exc, InvalidQuery):
            audit(backends, AuditAction.SEARCH, "search", status=exc.http_status, **filters)
        raise fail(exc) from exc
    finally:
        backends.close()
    if as_json:
        console.print_json(results.model_dump_json())
        return
    table = Table(title=f"{results.total} kết quả / hits")
    for column in ("document", "page", "score", "snippet"):
        table.add_column(column)
    for hit in results.hits:
        text = re.sub(r"<mark>(.*?)</mark>", r"[bold yellow]\1[/]", hit.snippet)
        table.add_row(hit.doc_id, str(hit.page), f"{hit.score:.2f}", text)
    console.print(table)


@app.command()
def show(doc_id: str) -> None:
    """Print a document's record (JSON)."""
    from sohoa.archive import load_document

    backends = _backends()
    try:
        try:
            document = load_document(backends.store, doc_id)
        except SohoaError as exc:
            audit(backends, AuditAction.VIEW, "show", record=doc_id, status=exc.http_status)
            raise
        audit(backends, AuditAction.VIEW, "show", record=doc_id)
        console.print_json(document.model_dump_json())
    except SohoaError as exc:
        raise fail(exc, backends, "show") from exc
    finally:
        backends.close()


@app.command()
def ocr(
    images: Annotated[list[Path], typer.Argument(help="page images")],
    out: Annotated[Path, typer.Option("--out", help="directory for <image stem>.txt")],
) -> None:
    """Run the page pipeline alone: write DIR/<image stem>.txt (page text, NFC) for each image."""
    from sohoa.ingest.executor import LocalProcessExecutor
    from sohoa.ingest.pages import ocr_image_to_text

    out.mkdir(parents=True, exist_ok=True)
    missing = [p for p in images if not p.is_file()]
    if missing:
        err.print(f"[red]Không tìm thấy tệp / file not found:[/] {', '.join(map(str, missing))}")
        raise typer.Exit(ExitCode.BAD_INPUT)
    settings = Settings()
    executor = LocalProcessExecutor(settings.workers)
    tasks = [(str(p), str(out / f"{p.stem}.txt"), settings.ocr_lang) for p in images]
    failures = 0
    try:
        for source, error in executor.map_unordered(ocr_image_to_text, tasks):
            if error:
                failures += 1
                err.print(f"[red]{source}:[/] {error}")
    finally:
        executor.close()
    if failures:
        raise typer.Exit(ExitCode.BAD_INPUT)


@app.command()
def reuse(
    owner_id: Annotated[str, typer.Argument(help="personal ID (12 digits), old ID card (9) or tax code")],
    doc_type: Annotated[str | None, typer.Option("--type", help="document type, e.g. giay-khai-sinh")] = None,
    valid_on: Annotated[str | None, typer.Option(help="judge validity on this day (YYYY-MM-DD)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="documents, verdicts and reasons as JSON")] = False,
) -> None:
    """The owner's digitized documents, newest first, and whether each can be reused (and why not)."""
    from sohoa.archive.dossiers import owner_documents
    from sohoa.records.identifiers import validate_owner_id

    try:
        owner = validate_owner_id(owner_id).value
        day = date.fromisoformat(valid_on) if valid_on else None
    except SohoaError as exc:
        raise fail(exc) from exc
    except ValueError as exc:  # the day, as Python's own date parser words it
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(ExitCode.BAD_INPUT) from exc
    backends = _backends()
    try:
        found = owner_documents(backends.index, owner, doc_type=doc_type, valid_on=day)
        audit(backends, AuditAction.VIEW, "reuse", record=owner, doc_type=doc_type or "")
    except SohoaError as exc:
        raise fail(exc) from exc
    finally:
        backends.close()
    if as_json:
        console.print_json(json.dumps([item.model_dump(mode="json") for item in found], ensure_ascii=False))
        return
    if not found:
        console.print(f"Chưa có giấy tờ số hóa của {owner} / no digitized document for {owner}")
        return
    table = Table(title=f"Giấy tờ của {owner} / documents of {owner}")
    for column in ("document", "type", "date", "validity", "reusable", "why", "reused"):
        table.add_column(column)
    for item in found:
        d, verdict = item.document, item.reuse
        table.add_row(
            d.doc_id,
            d.doc_type or "",
            str(d.doc_date or ""),
            verdict.validity.value,
            "yes" if verdict.reusable else "no",
            "; ".join(r.vi for r in verdict.reasons),
            str(d.reuse_count),
        )
    console.print(table)


@app.command()
def reindex(
    only_pending: Annotated[
        bool, typer.Option("--pending", help="only the changes the index missed (as `sohoa catch-up`)")
    ] = False,
) -> None:
    """Rebuild the search index from storage alone into a new index that replaces the live one at the end
    (search keeps answering meanwhile). A stored record that cannot be read is named on stderr and skipped;
    the others are indexed, and the command then exits 5 (damaged records), as ingest exits with its
    failures' code after the files it could take. With --pending, index only what is marked pending."""
    if only_pending:
        cli_pending.catch_up()
        return
    from sohoa.archive import reindex as rebuild

    skipped: list[str] = []

    def report(key: str, reason: str) -> None:
        skipped.append(key)
        err.print(f"[red]{key}:[/] không đọc được, bỏ qua / unreadable, skipped: {reason}", soft_wrap=True)

    with backends_or_fail("reindex") as backends:
        pages = rebuild(backends.store, backends.index, skipped=report)
    console.print(
        f"{pages} trang đã lập chỉ mục, {len(skipped)} bản ghi bị bỏ qua / "
        f"pages indexed, {len(skipped)} records skipped"
    )
    if skipped:
        raise typer.Exit(ExitCode.DAMAGED)


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from sohoa.api.app import create_app

    # What the periodic catch-up and deliveries did is said beside uvicorn's own lines (no other logging
    # is configured).
    logging = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for name in ("sohoa.pending", "sohoa.deliveries"):
        logging["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    # Forwarded headers are the app's to believe or not (SOHOA_TRUSTED_PROXIES), never uvicorn's default.
    uvicorn.run(create_app(Settings()), host=host, port=port, proxy_headers=False, log_config=logging)


@app.command("sample-batch")
def sample_batch(
    out: Annotated[Path, typer.Argument(help="directory to write the generated scans into")],
    pages: Annotated[int, typer.Option(min=1, max=500)] = 6,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """Generate a batch of synthetic Vietnamese scanned pages (with truth.json) for demos and tests."""
    from sohoa.samples.scangen import make_batch

    out.mkdir(parents=True, exist_ok=True)
    truth = make_batch(out, pages=pages, seed=seed)
    console.print(json.dumps({"written": len(truth), "dir": str(out)}, ensure_ascii=False))


def main() -> None:
    try:
        app()
    except SohoaError as exc:
        # Errors raised outside a command's own handling (a backend that cannot be reached, say).
        sys.exit(explain(exc))
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        # A SOHOA_* variable with a value it cannot take: said as such, not as a traceback.
        wrong = "; ".join(
            f"SOHOA_{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors() if e.get("loc")
        )
        sys.exit(explain(InvalidValue(f"Cấu hình không hợp lệ: {wrong}", f"invalid settings: {wrong}")))
