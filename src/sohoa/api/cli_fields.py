"""`sohoa confirm DOC_ID`: list a document's extracted fields by position, and confirm or correct them
(the same rules as the web page and `POST /api/v1/documents/{id}/fields/confirm`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sohoa.api.cli_common import backends_or_fail, console
from sohoa.archive import load_document
from sohoa.archive.lifecycle import confirm_fields
from sohoa.errors import BadInput
from sohoa.records.confirmations import FieldChange
from sohoa.records.models import FieldName


def _change(raw: str, *, add: bool) -> FieldChange:
    key, sep, value = raw.partition("=")
    try:
        if not sep:
            raise ValueError(raw)
        if add:
            return FieldChange(name=FieldName(key.strip()), value=value)
        return FieldChange(index=int(key), value=value)
    except ValueError as exc:
        form = "TÊN=GIÁ_TRỊ / NAME=VALUE" if add else "SỐ=GIÁ_TRỊ / INDEX=VALUE"
        raise BadInput(
            f"Không hiểu {raw!r}: cần dạng {form}", f"cannot read {raw!r}: expected {form}"
        ) from exc


def confirm(
    doc_id: str,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="INDEX=VALUE: confirm (or correct) field INDEX")
    ] = None,
    add: Annotated[list[str] | None, typer.Option("--add", help="NAME=VALUE: add a field OCR missed")] = None,
    by: Annotated[str, typer.Option("--by", help="user name recorded as the confirmer")] = "cli",
) -> None:
    """Without --field/--add: list the fields by position. With them: confirm, correct or add fields; the
    confirmed values become the document's own (number, issuer, dates, type, validity, signer)."""
    with backends_or_fail() as backends:
        changes = [_change(f, add=False) for f in field or []] + [_change(a, add=True) for a in add or []]
        if changes:
            document = confirm_fields(backends.store, backends.index, doc_id, changes, by=by)
        else:
            document = load_document(backends.store, doc_id)
        table = Table("#", "field", "value", "page", "confirmed", "OCR read")
        for i, f in enumerate(document.fields):
            table.add_row(str(i), f.name.value, f.value, str(f.page), f.confirmed_by or "", f.original or "")
        console.print(table)
