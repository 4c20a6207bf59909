"""`sohoa users …`: add users, set passwords, issue and revoke API tokens, disable, list."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from sohoa.api.backends import make_store
from sohoa.api.cli_common import console, err, fail
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.errors import ExitCode, SohoaError
from sohoa.records.access import Role, User
from sohoa.storage.base import ObjectStore

app = typer.Typer(help="Người dùng và mã truy cập / users and API tokens", no_args_is_help=True)


def _store() -> ObjectStore:
    return make_store(Settings())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Mật khẩu / password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def add(
    username: str,
    role: Annotated[Role, typer.Option(help="staff, officer, citizen or admin")],
    agency: Annotated[str | None, typer.Option(help="agency code (staff and officers)")] = None,
    personal_id: Annotated[str | None, typer.Option(help="12-digit personal ID (citizens)")] = None,
    name: Annotated[str, typer.Option(help="display name")] = "",
    password_stdin: Annotated[
        bool, typer.Option(help="read a password from stdin (for the web login)")
    ] = False,
) -> None:
    """Add a user. Give a password with --password-stdin, or only issue API tokens later."""
    try:
        user = User(username=username, role=role, agency=agency, personal_id=personal_id, display_name=name)
    except ValidationError as exc:
        err.print(f"[bold red]Lỗi / Error:[/] {exc.errors()[0]['msg']}")
        raise typer.Exit(ExitCode.BAD_INPUT) from exc
    store = _store()
    try:
        accounts.add_user(store, user)
        if password_stdin:
            accounts.set_password(store, username, _read_password(True))
    except SohoaError as exc:
        raise fail(exc) from exc
    console.print(f"đã thêm / added: {username} ({role.value})")


@app.command("passwd")
def passwd(
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Set a user's password (at least 10 characters)."""
    try:
        accounts.set_password(_store(), username, _read_password(password_stdin))
    except SohoaError as exc:
        raise fail(exc) from exc
    console.print("đã đặt mật khẩu / password set")


@app.command("token")
def token(
    username: str,
    days: Annotated[int, typer.Option(min=1, max=366, help="valid for this many days")] = 30,
) -> None:
    """Issue an API token (printed once; only its hash is kept)."""
    try:
        text, credential = accounts.issue_token(_store(), username, lifetime=timedelta(days=days))
    except SohoaError as exc:
        raise fail(exc) from exc
    err.print(f"mã {credential.id}, hết hạn / expires {credential.expires_at:%Y-%m-%d %H:%M} UTC")
    print(text)


@app.command("revoke-token")
def revoke_token(credential_id: str) -> None:
    """Revoke a token (or a web session) by its id."""
    try:
        accounts.revoke_token(_store(), credential_id)
    except SohoaError as exc:
        raise fail(exc) from exc
    console.print(f"đã thu hồi / revoked: {credential_id}")


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user: their tokens and sessions stop working at once."""
    try:
        accounts.disable_user(_store(), username)
    except SohoaError as exc:
        raise fail(exc) from exc
    console.print(f"đã khóa / disabled: {username}")


@app.command("list")
def list_users() -> None:
    """Users, and their active tokens."""
    store = _store()
    table = Table("user", "role", "agency", "personal ID", "password", "disabled")
    for u in accounts.list_users(store)[1]:
        pw = "yes" if u.password_hash else "no"
        table.add_row(u.username, u.role.value, u.agency or "", u.personal_id or "", pw, str(u.disabled))
    console.print(table)
