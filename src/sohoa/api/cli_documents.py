"""`sohoa edit DOC_ID`: set or correct a document's facts (validity, number and symbol, issuer, type,
title, signer, signing date, scope) from the command line, audited as the operator (`cli:<OS user>`)."""

from __future__ import annotations

import getpass
import uuid
from typing import Annotated

import typer

from sohoa.api.cli_common import backends_or_fail, console, err
from sohoa.errors import BadInput
from sohoa.records.access import AuditAction, AuditEvent, Role

_EMPTY = 'an empty value ("") clears it'


def operator() -> str:
    """Who runs the command, as the trail and the record name them."""
    return f"cli:{getpass.getuser()}"


def edit(
    doc_id: str,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help=f"YYYY-MM-DD or 12/9/2025; {_EMPTY}")
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help=f"YYYY-MM-DD or 12/9/2025; {_EMPTY}")
    ] = None,
    number_symbol: Annotated[str | None, typer.Option("--number-symbol", help="e.g. 123/QĐ-UBND")] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="issuing agency")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="document type, e.g. quyet-dinh")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    signer: Annotated[str | None, typer.Option("--signer", help="who signed the paper")] = None,
    signed_on: Annotated[str | None, typer.Option("--signed-on", help="signing date, YYYY-MM-DD")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="where or for what it holds")] = None,
) -> None:
    """Set or correct a document's facts; each change is kept in the record and on the audit trail with
    the old and the new value. A refused value changes nothing and exits 2."""
    from sohoa.archive.audit import record_event
    from sohoa.archive.edits import audit_detail, edit_document

    given = {
        "valid_from": valid_from,
        "valid_until": valid_until,
        "number_symbol": number_symbol,
        "issuer": issuer,
        "doc_type": doc_type,
        "title": title,
        "signer": signer,
        "signed_on": signed_on,
        "scope": scope,
    }
    changes = {name: value for name, value in given.items() if value is not None}
    by = operator()
    with backends_or_fail() as backends:
        if not changes:
            raise BadInput("Chưa có gì để sửa (xem --help)", "nothing to change (see --help)")
        document, made = edit_document(backends.store, backends.index, doc_id, changes, by=by)
        if made:
            event = AuditEvent(
                id=uuid.uuid4().hex,
                actor=by,
                role=Role.ADMIN,  # whoever runs the CLI on the server holds the keys to everything
                action=AuditAction.EDIT,
                record=doc_id,
                route="cli edit",
                detail=audit_detail(made),
                status=200,
            )
            record_event(backends.store, backends.index, event)
    if not made:
        err.print("Không có gì thay đổi / nothing changed")
    for change in made:
        console.print(f"{change.field}: {change.old or '—'} → {change.new or '—'}")
    console.print(f"{document.id}\t{document.validity.value}")
