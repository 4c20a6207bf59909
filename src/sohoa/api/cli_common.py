"""What every `sohoa` command shares: the consoles, how a refusal is printed and becomes the exit code, the
backends the settings choose, closed when the command is done, and the audit trail of what the operator read.

Whoever runs the CLI on a server holds the store's keys, so the trail records them as `cli:<OS user>` in the
admin role; a read is recorded before its answer is printed, as the API records it before answering."""

from __future__ import annotations

import getpass
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from sohoa.api.backends import Backends, make_backends
from sohoa.api.settings import Settings
from sohoa.archive.audit_spool import record_or_spool, spool_dir
from sohoa.errors import Damaged, ExitCode, SohoaError
from sohoa.records.access import AuditAction, AuditEvent, Role

console = Console()
err = Console(stderr=True)
log = logging.getLogger("sohoa.cli")


def explain(exc: SohoaError, backends: Backends | None = None, command: str = "") -> int:
    """Print the error in Vietnamese and English and give its exit code. A damaged stored object is also
    logged by key and, when the backends are at hand, put on the audit trail (as read by `sohoa COMMAND`)."""
    if isinstance(exc, Damaged):
        from sohoa.archive.integrity import log, report_damage

        route = f"cli {command}".strip()
        if backends is not None:
            report_damage(backends.store, backends.index, exc, actor=operator(), route=route)
        else:
            log.error("damaged stored object %s (%s), found by %s", exc.key, exc.reason, route)
    # Not wrapped by the console: a long object key stays whole, for a person to copy.
    err.print(f"[bold red]Lỗi:[/] {exc.vi}\n[red]Error:[/] {exc.en}", soft_wrap=True)
    return int(exc.exit_code)


def fail(exc: SohoaError, backends: Backends | None = None, command: str = "") -> typer.Exit:
    """The error explained (see `explain`), as the exit that ends the command."""
    return typer.Exit(explain(exc, backends, command))


@contextmanager
def backends_or_fail(command: str = "") -> Iterator[Backends]:
    """The configured backends for the block; a refusal inside it exits with its code, and they are closed."""
    backends = make_backends(Settings())
    try:
        yield backends
    except SohoaError as exc:
        raise fail(exc, backends, command) from exc
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
    record_or_spool(backends.store, backends.index, event, spool_dir(backends.settings.data_dir))


def severity(code: ExitCode) -> tuple[bool, bool, int]:
    """How bad an exit code is, to end a command that handled many files with the worst of theirs: any
    failure over success, a failure of a service or of sohoa over a refused file, then the higher code."""
    return code is not ExitCode.OK, code is not ExitCode.BAD_INPUT, int(code)


def file_failed(file: object, exc: Exception, backends: Backends) -> ExitCode:
    """Print why one file of many was not stored, on one line naming it, and give its exit code: refused
    (the file is at fault, "bị từ chối / refused") or failed (a service or sohoa, "thất bại / failed")."""
    if not isinstance(exc, SohoaError):
        # A bug, not the file's fault: its traceback goes to the log, the other files go on.
        log.error("ingest of %s failed", file, exc_info=exc)
        name = type(exc).__name__
        exc = SohoaError("Lỗi không lường trước, xem nhật ký", f"unexpected {name}; see the log")
    refused = exc.exit_code is ExitCode.BAD_INPUT
    label = "bị từ chối / refused" if refused else "thất bại / failed"
    err.print(f"[red]{file}: {label}:[/] {exc.vi} / {exc.en}", soft_wrap=True)
    if isinstance(exc, Damaged):
        explain(exc, backends, "ingest")  # logged by key and put on the audit trail
    return ExitCode(exc.exit_code)
