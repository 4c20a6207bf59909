"""What every `sohoa` command shares: the consoles, how a refusal is printed and becomes the exit code, the
backends the settings choose, closed when the command is done, and the audit trail of what the operator read.

Whoever runs the CLI on a server holds the store's keys, so the trail records them as `cli:<OS user>` in the
admin role; a read is recorded before its answer is printed, as the API records it before answering."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from sohoa.api.backends import Backends, make_backends
from sohoa.api.settings import Settings
from sohoa.errors import SohoaError
from sohoa.ingest.audit import record_event
from sohoa.records.access import AuditAction, AuditEvent, Role

console = Console()
err = Console(stderr=True)


def fail(exc: SohoaError) -> typer.Exit:
    """Print the error in Vietnamese and English; the exit code comes with the exception's class."""
    err.print(f"[bold red]Lỗi:[/] {exc.vi}\n[red]Error:[/] {exc.en}")
    return typer.Exit(int(exc.exit_code))


@contextmanager
def backends_or_fail() -> Iterator[Backends]:
    """The configured backends for the block; a refusal inside it exits with its code, and they are closed."""
    backends = make_backends(Settings())
    try:
        yield backends
    except SohoaError as exc:
        raise fail(exc) from exc
    finally:
        backends.close()


def operator() -> str:
    """Who runs the command, as the audit trail names them."""
    return f"cli:{getpass.getuser()}"


def audit(
    backends: Backends,
    action: AuditAction,
    command: str,
    *,
    record: str | None = None,
    status: int = 200,
    **detail: str,
) -> None:
    """Put a command's look at (or change to) the records on the trail; `status` as HTTP would say it."""
    event = AuditEvent(
        id=uuid.uuid4().hex,
        actor=operator(),
        role=Role.ADMIN,
        action=action,
        record=record[:100] if record else None,
        route=f"cli {command}",
        detail={k: v[:200] for k, v in detail.items() if v},
        status=status,
    )
    record_event(backends.store, backends.index, event)
