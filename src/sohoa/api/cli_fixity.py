"""`sohoa fixity`: read back every stored object the document records name, check each sha256, and print
what is damaged or missing, the orphans, the counts and the throughput. Exits 5 (damaged) on any mismatching,
missing or unreadable object, 0 when all is as recorded."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sohoa.api.cli_common import backends_or_fail, console, err, fail, operator
from sohoa.archive.fixity import run_fixity
from sohoa.archive.fixity_report import Finding, FixityReport
from sohoa.errors import ExitCode, InvalidValue

_ORPHANS_SHOWN = 20


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(
            InvalidValue(f"Ngày không hợp lệ: {value[:40]!r} (YYYY-MM-DD)", f"invalid date {value[:40]!r}")
        ) from None


def _findings(title: str, findings: list[Finding]) -> None:
    # One line each, not wrapped: a key and its hashes stay whole, for a person to copy.
    console.print(f"[bold red]{title}:[/]")
    for f in findings:
        found = f.found or "(không có / absent)"
        console.print(f"  {f.key}\texpected {f.expected or '?'}\tfound {found}", soft_wrap=True)


def _print(report: FixityReport) -> None:
    if report.mismatches:
        _findings("Sai mã SHA-256 / mismatching", report.mismatches)
    if report.missing:
        _findings("Thiếu / missing", report.missing)
    if report.unreadable:
        _findings("Không đọc được / unreadable records", report.unreadable)
    if report.orphans:
        console.print(f"{len(report.orphans)} đối tượng không bản ghi nào nhắc tới / orphans (not errors):")
        for key in report.orphans[:_ORPHANS_SHOWN]:
            console.print(f"  {key}", soft_wrap=True)
        if len(report.orphans) > _ORPHANS_SHOWN:
            console.print(f"  … +{len(report.orphans) - _ORPHANS_SHOWN}")
    if report.resumed_after:
        console.print(f"tiếp tục sau / resumed after {report.resumed_after}")
    console.print(
        f"{report.documents} tài liệu, {report.objects} đối tượng, {report.bytes / 1e6:.1f} MB / documents, "
        f"objects, MB; sai / mismatching {len(report.mismatches)}, thiếu / missing {len(report.missing)}, "
        f"không đọc được / unreadable {len(report.unreadable)}, mồ côi / orphans {len(report.orphans)}"
    )
    console.print(
        f"{report.objects_per_second:.1f} đối tượng/s / objects/s, {report.mb_per_second:.2f} MB/s "
        f"({report.part_objects} in {report.seconds:.1f} s)"
    )
    if not report.complete:
        console.print(
            f"Dừng sau tài liệu {report.last_doc}; chạy lại với --resume để tiếp tục / stopped after "
            f"{report.last_doc}; run again with --resume to go on"
        )


def fixity(
    prefix: Annotated[str, typer.Option(help="only keys under this prefix, e.g. documents/0a1b")] = "",
    since: Annotated[
        str | None, typer.Option(help="only documents stored or changed on or after this day (YYYY-MM-DD)")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="go on after the last document an interrupted run checked")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    checkpoint_every: Annotated[
        int, typer.Option(min=1, help="write the checkpoint every N documents")
    ] = 100,
    stop_after: Annotated[
        int | None, typer.Option(min=1, hidden=True, help="stop after N documents, as an interruption would")
    ] = None,
) -> None:
    """Read back every stored object the document records name and check its sha256: lists mismatching and
    missing objects (exit 5) and orphans (objects no record names; not errors), with the throughput."""
    day = _day(since)
    with (
        backends_or_fail("fixity") as backends,
        Progress(
            TextColumn("fixity"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as bar,
    ):
        task = bar.add_task("fixity", total=None)
        report = run_fixity(
            backends.store,
            backends.index,
            prefix=prefix,
            since=day,
            resume=resume,
            by=operator(),
            route="cli fixity",
            checkpoint_every=checkpoint_every,
            stop_after=stop_after,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        console.print_json(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        _print(report)
    if not report.clean:
        raise typer.Exit(ExitCode.DAMAGED)
