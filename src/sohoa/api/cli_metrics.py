"""`sohoa metrics [--agency A] [--from D --to D] [--json]`: the Decision 766 indicators (digitization rate,
reuse rate) for a period, month by month and in total, as a table or as JSON (definitions in
ingest.indicators)."""

from __future__ import annotations

import sys
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from sohoa.api.cli_common import backends_or_fail, console, err
from sohoa.archive.indicators import DigitizationMetrics, digitization_metrics, period
from sohoa.errors import ExitCode


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        err.print(
            f"[red]Lỗi:[/] {option} cần một ngày dạng YYYY-MM-DD, không phải {value!r}\n"
            f"[red]Error:[/] {option} needs a day as YYYY-MM-DD, not {value!r}"
        )
        raise typer.Exit(ExitCode.BAD_INPUT) from exc


def _percent(rate: float, whole: int) -> str:
    return f"{rate:.1%}" if whole else "—"  # a rate over nothing is no rate


def _table(m: DigitizationMetrics) -> Table:
    where = m.agency or "mọi cơ quan / every agency"
    table = Table(title=f"Chỉ số số hóa / digitization indicators: {where}, {m.date_from} → {m.date_to}")
    for column in (
        "tháng / month",
        "hồ sơ tiếp nhận / received",
        "đã số hóa / digitized",
        "tỷ lệ số hóa / digitization rate",
        "dùng lại / reused",
        "cần / needed",
        "tỷ lệ dùng lại / reuse rate",
    ):
        table.add_column(column, justify="left" if column.startswith("tháng") else "right")
    for f in m.months:
        table.add_row(
            f.month,
            str(f.dossiers_received),
            str(f.digitized),
            _percent(f.digitization_rate, f.dossiers_received),
            str(f.reused),
            str(f.needed),
            _percent(f.reuse_rate, f.needed),
        )
    table.add_section()
    table.add_row(
        "tổng / total",
        str(m.dossiers_received),
        str(m.dossiers_digitized),
        _percent(m.digitization_rate, m.dossiers_received),
        str(m.documents_reused),
        str(m.documents_needed),
        _percent(m.reuse_rate, m.documents_needed),
        style="bold",
    )
    return table


def metrics(
    agency: Annotated[
        str | None, typer.Option("--agency", help="receiving agency code (default: all)")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="first day, YYYY-MM-DD (default 1 January)")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="last day, included (default today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Digitization rate and reuse rate (Decision 766/QĐ-TTg) by month for a period, per agency or all."""
    start, end = period(_day(date_from, "--from"), _day(date_to, "--to"))
    with backends_or_fail() as backends:
        figures = digitization_metrics(backends.index, start, end, agency or None)
    if as_json:
        sys.stdout.write(figures.model_dump_json(indent=2) + "\n")
        return
    console.print(_table(figures))
