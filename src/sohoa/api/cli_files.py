"""`sohoa download`: a document's files out of the archive, the searchable (or signed) PDF or the master as
captured, each checked against the sha256 recorded when it was stored; a damaged copy is refused with exit
code 5 and written nowhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sohoa.api.cli_common import backends_or_fail, console


def download(
    doc_id: str,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="file to write; default <doc_id>.<ext>")
    ] = None,
    master: Annotated[
        bool, typer.Option("--master", help="the file as captured, not the searchable PDF")
    ] = False,
) -> None:
    """Write a document's searchable PDF (or, with --master, its original file), checked on the way out."""
    from sohoa.archive import load_document

    with backends_or_fail("download") as backends:
        document = load_document(backends.store, doc_id)
        if master:
            key = document.master_key
        else:
            key = document.signed_pdf_key or document.searchable_pdf_key or document.master_key
        target = out or Path(f"{document.id}.{key.rsplit('.', 1)[-1]}")
        info = backends.store.download(key, target)
    console.print(f"{target}\t{info.size} bytes\tsha256 {info.sha256}")
