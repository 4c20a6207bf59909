"""`sohoa jobs` and `sohoa jobs show ID`: where every intake stands (any source, any process), as a table or
as the job's JSON record."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sohoa.api.cli_common import backends_or_fail, console, err
from sohoa.errors import ExitCode
from sohoa.records.basics import LOCAL_TZ
from sohoa.records.jobs import Job, JobState

app = typer.Typer(help="Jobs: every intake and where it stands.", invoke_without_command=True)


def _state(value: str | None) -> JobState | None:
    if value is None:
        return None
    try:
        return JobState(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in JobState)
        err.print(
            f"[red]Trạng thái không hợp lệ / unknown state:[/] {value[:40]!r} (chọn / choose: {allowed})"
        )
        raise typer.Exit(ExitCode.BAD_INPUT) from None


def _row(job: Job) -> list[str]:
    pages = f"{job.pages_done}/{job.pages_total}" if job.pages_total else str(job.pages_done or "")
    return [
        job.id,
        job.source,
        job.state.value,
        pages,
        str(len(job.documents)),
        f"{job.updated_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}",
        job.errors[0][:80] if job.errors else "",
    ]


@app.callback()
def jobs(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="queued, running, done or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """List jobs, newest first: id, source, state, pages done/total, documents, last update, first error."""
    if ctx.invoked_subcommand is not None:
        return
    from sohoa.ingest.jobs import list_jobs

    wanted = _state(state)
    with backends_or_fail("jobs") as backends:
        found = list_jobs(backends.store, wanted, limit=limit)
    table = Table(title=f"{len(found)} việc / jobs")
    for column in ("id", "source", "state", "pages", "documents", "updated", "error"):
        table.add_column(column, overflow="fold")
    for job in found:
        table.add_row(*_row(job))
    console.print(table)


@app.command()
def show(job_id: Annotated[str, typer.Argument(help="job-…")]) -> None:
    """Print a job's record (JSON)."""
    from sohoa.ingest.jobs import load_job

    with backends_or_fail("jobs show") as backends:
        job = load_job(backends.store, job_id)
    console.print_json(job.model_dump_json())
