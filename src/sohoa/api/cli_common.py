"""What every `sohoa` command shares: the consoles, how a refusal is printed and becomes the exit code, and
the backends the settings choose, closed when the command is done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from sohoa.api.backends import Backends, make_backends
from sohoa.api.settings import Settings
from sohoa.errors import SohoaError

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
