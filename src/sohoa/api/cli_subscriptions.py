"""`sohoa subscriptions add|list|remove|deliveries` (the admin's API routes, from the server's shell) and
`sohoa deliver`, one round of event deliveries (what `sohoa serve` runs every SOHOA_DELIVERY_SECONDS)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import SecretStr, ValidationError
from rich.table import Table

from sohoa.api.cli_common import audit, backends_or_fail, console, err, operator
from sohoa.errors import ExitCode
from sohoa.records.access import AuditAction
from sohoa.records.basics import LOCAL_TZ
from sohoa.records.events import EventKind

app = typer.Typer(help="Subscriptions of the one-stop software to events (signed webhooks).")
KINDS = ", ".join(k.value for k in EventKind)


@app.command()
def add(
    url: Annotated[str, typer.Argument(help="http(s) URL the events are POSTed to")],
    kind: Annotated[list[str], typer.Option("--kind", help=f"an event kind (repeat): {KINDS}")],
    agency: Annotated[str | None, typer.Option(help="only events of this agency's records")] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="read the secret from stdin (default: one is made)")
    ] = False,
) -> None:
    """Register a subscription; prints its id and its secret (shown this once)."""
    from sohoa.archive.subscriptions import add_subscription
    from sohoa.records.subscriptions import NewSubscription

    secret = SecretStr(sys.stdin.readline().strip()) if secret_stdin else None
    try:
        new = NewSubscription(url=url, kinds=kind, agency=agency, secret=secret)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]Không hợp lệ / invalid:[/] {'.'.join(map(str, first['loc']))}: {first['msg']}")
        err.print(f"Loại sự kiện / event kinds: {KINDS}")
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    with backends_or_fail("subscriptions add") as backends:
        allow = backends.settings.webhooks_allow_private
        created = add_subscription(backends.store, new, by=operator(), allow_private=allow)
        audit(backends, AuditAction.CREATE, "subscriptions add", record=created.id, url=created.url)
    console.print(f"{created.id}\nsecret: {created.secret}", soft_wrap=True)


@app.command("list")
def list_() -> None:
    """The subscriptions, oldest first (secrets masked)."""
    from sohoa.archive.subscriptions import subscriptions

    with backends_or_fail("subscriptions list") as backends:
        subs = subscriptions(backends.store)
    table = Table(title=f"{len(subs)} đăng ký / subscriptions")
    for column in ("id", "url", "kinds", "agency", "secret", "created"):
        table.add_column(column, overflow="fold")
    for sub in subs:
        table.add_row(
            sub.id,
            sub.url,
            ", ".join(k.value for k in sub.kinds),
            sub.agency or "*",
            "…" + sub.secret[-4:],
            f"{sub.created_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command()
def remove(subscription_id: Annotated[str, typer.Argument(help="sub-…")]) -> None:
    """Send no more events to it (its delivery log is kept)."""
    from sohoa.archive.subscriptions import remove_subscription

    with backends_or_fail("subscriptions remove") as backends:
        remove_subscription(backends.store, subscription_id)
        audit(backends, AuditAction.EDIT, "subscriptions remove", record=subscription_id)
    console.print(f"{subscription_id}: đã gỡ / removed")


@app.command("deliveries")
def deliveries_(
    subscription_id: Annotated[str, typer.Argument(help="sub-…")],
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
) -> None:
    """The delivery log, newest attempt first."""
    from sohoa.archive.subscriptions import deliveries

    with backends_or_fail("subscriptions deliveries") as backends:
        attempts = deliveries(backends.store, subscription_id, limit=limit)
    table = Table(title=f"{len(attempts)} lần gửi / attempts")
    for column in ("event", "kind", "attempt", "status", "code", "at", "next try", "error"):
        table.add_column(column, overflow="fold")
    for a in attempts:
        table.add_row(
            a.event_id,
            a.kind.value,
            str(a.attempt),
            a.status.value,
            str(a.code or ""),
            f"{a.at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}",
            f"{a.next_try.astimezone(LOCAL_TZ):%H:%M:%S}" if a.next_try else "",
            (a.error or "")[:80],
        )
    console.print(table)


def deliver() -> None:
    """One round of event deliveries: every (event, subscription) due now is posted; exit 4 if any failed."""
    from sohoa.archive.deliveries import deliver_round

    with backends_or_fail("deliver") as backends:
        report = deliver_round(backends.store, backends.settings.delivery_policy)
    for error in report.errors:
        err.print(f"[red]{error}[/]", soft_wrap=True)
    console.print(
        f"{report.acknowledged} đã nhận / acknowledged, {report.failed} lỗi / failed, "
        f"{report.gave_up} bỏ / given up, {report.waiting} chờ / waiting, {report.cleared} xong / events done"
    )
    if report.failed:
        raise typer.Exit(ExitCode.UNAVAILABLE)
