"""One group of a cut stack made into its document, as single-file ingest would make it: the master taken from
the stack's pages as captured, what the cover sheet says (dossier, owner, and whether the papers are results
and of which type, so a stack of results gets result codes), and the signatures of a signed PDF checked.

A signed PDF whose pages are exactly one group's content is that document's master byte for byte, so its
signatures stay checkable on the stored master (`sohoa verify DOC_ID`) and the document is the one single-file
ingest would make of the same file. A signed PDF cut across documents, or sharing one with other pages, keeps
its signatures only on the batch's copy of the file: staff are told so at review.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image

from sohoa.archive.dossiers import link_scanned
from sohoa.archive.lifecycle import update_document
from sohoa.ingest.context import IngestContext
from sohoa.ingest.pages import PageDone
from sohoa.ingest.pipeline import IngestMeta, IngestOutcome, Master, commit_document, place, signatures_of
from sohoa.ingest.sniff import SourceInfo
from sohoa.records.batches import Batch, BatchGroup, ReviewItem
from sohoa.records.dossiers import DossierView
from sohoa.records.models import Document, DocumentKind, DossierRef
from sohoa.records.signatures import VERDICT_VI, SignatureCheck, overall
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.fixity import sha256_file

_PDF = "application/pdf"
Signed = dict[int, tuple[SignatureCheck, ...]]  # the checks of each signed PDF of a stack, by its first page


@dataclass(frozen=True)
class StackSource:
    """A file of the stack, here on disk."""

    path: Path
    info: SourceInfo
    first: int  # stack number of its first page

    @property
    def numbers(self) -> list[int]:
        return list(range(self.first, self.first + self.info.pages))


def source_of(sources: Sequence[StackSource], number: int) -> StackSource:
    return next(s for s in reversed(sources) if s.first <= number)


def check_signatures(ctx: IngestContext, sources: Sequence[StackSource]) -> Signed:
    """The signatures of each signed PDF of the stack (by its first page), checked as single-file ingest
    checks them (the same function)."""
    found = {}
    for source in sources:
        checks = signatures_of(ctx, source.path, source.info.media_type)
        if checks:
            found[source.first] = checks
    return found


def signature_review(
    groups: Sequence[BatchGroup],
    sources: Sequence[StackSource],
    signed: Signed,
) -> list[ReviewItem]:
    """A review item for each group holding pages of a signed PDF that is not the whole of its content."""
    items = []
    for n, group in enumerate(groups):
        for source in sources:
            pages = source.numbers
            if source.first in signed and set(pages) & set(group.pages) and group.pages != pages:
                verdict = overall(signed[source.first])
                assert verdict is not None
                where = f"{pages[0]}–{pages[-1]}"
                detail = (
                    f"Tệp có chữ ký số (trang {where} của lô, {VERDICT_VI[verdict]}) bị tách: chữ ký chỉ "
                    f"kiểm được trên tệp gốc của lô / the signed file (pages {where}, {verdict.value}) was "
                    "cut: its signatures hold for the batch's copy of the file only"
                )
                items.append(ReviewItem(group=n, reason="signature_split", detail=detail))
    return items


def master_pdf(sources: Sequence[StackSource], numbers: list[int], out: Path) -> None:
    """The document's pages as captured, taken from the stack without decoding (PDF pages copied as they
    are; images embedded losslessly), written the same way every time so the document id is stable."""
    pdf = pikepdf.new()
    for number in numbers:
        source = source_of(sources, number)
        at = number - source.first
        if source.info.media_type == _PDF:
            with pikepdf.open(source.path) as src:
                pdf.pages.append(src.pages[at])
            continue
        with Image.open(source.path) as img:
            img.seek(at)
            buf = io.BytesIO()
            if source.info.media_type in ("image/png", "image/jpeg") and at == 0:
                buf.write(source.path.read_bytes())
            else:
                img.save(buf, "PNG", dpi=img.info.get("dpi", (300, 300)))
        with pikepdf.open(io.BytesIO(img2pdf.convert(buf.getvalue(), nodate=True))) as one:
            pdf.pages.append(one.pages[0])
    pdf.save(out, deterministic_id=True)


def commit_group(
    ctx: IngestContext,
    batch: Batch,
    n: int,
    group: BatchGroup,
    done: dict[int, PageDone],
    sources: Sequence[StackSource],
    signed: Signed,
    folder: Path,
) -> IngestOutcome:
    """Store group `n` (its pages already read, in `done`) as a document."""
    cover = group.cover
    meta = IngestMeta(
        name=f"{batch.name} #{n + 1}",
        owner_id=cover.owner_id if cover else None,
        dossier_code=cover.dossier_code if cover else None,
        kind=cover.kind if cover else DocumentKind.COMPONENT,
        doc_type=cover.doc_type if cover else None,
        by=batch.by,
        agency=batch.agency,
    )
    whole = next(
        (s for s in sources if s.first in signed and s.numbers == group.pages),
        None,
    )
    if whole is not None:
        path, checks = whole.path, signed[whole.first]
    else:
        path, checks = folder / "master.pdf", ()
        master_pdf(sources, group.pages, path)
    master = Master(path, sha256_file(path), _PDF, "pdf", checks)
    return commit_document(ctx, master, place(ctx, meta), done, folder)


def join_dossier(
    store: ObjectStore, index: SearchIndex, doc_id: str, dossier: DossierView, *, by: str
) -> None:
    """The document joins the dossier (pages staff gave it at review) and takes its applicant as owner."""
    owner = dossier.applicant.id_number

    def change(document: Document) -> Document:
        document.dossier = DossierRef(
            code=dossier.code, owner_id=owner, procedure_code=dossier.procedure_code
        )
        document.owner_id = document.owner_id or owner
        return document

    update_document(store, index, doc_id, change)
    link_scanned(store, dossier.code, doc_id, by=by)
