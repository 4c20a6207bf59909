"""What every `sohoa` command shares: the consoles, and how a refusal is printed and becomes the exit code."""

from __future__ import annotations

import typer
from rich.console import Console

from sohoa.errors import SohoaError

console = Console()
err = Console(stderr=True)


def fail(exc: SohoaError) -> typer.Exit:
    """Print the error in Vietnamese and English; the exit code comes with the exception's class."""
    err.print(f"[bold red]Lỗi:[/] {exc.vi}\n[red]Error:[/] {exc.en}")
    return typer.Exit(int(exc.exit_code))
