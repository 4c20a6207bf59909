"""Dossier packages between installations: download a dossier as one signed BagIt package (whoever may read
the dossier: the documents in it are those they may read), and import one made elsewhere (staff, admins).
The importing agency holds the dossier it imported (archive.grants): a staff member's own agency, or the one
an administrator names. The layout is docs/package.md."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from sohoa.api.access import document_grants, may_read_document, readable_dossier
from sohoa.api.auth import WhoDep, note
from sohoa.api.deps import BackendsDep
from sohoa.api.packages import installation_signer
from sohoa.archive.documents import load_document
from sohoa.archive.package_export import export_dossier
from sohoa.archive.package_import import import_package
from sohoa.archive.package_layout import MEDIA_TYPE, bag_root
from sohoa.errors import BadInput, Forbidden, TooLarge
from sohoa.records.access import Principal
from sohoa.records.codes import check_agency
from sohoa.records.packages import ImportReport

router = APIRouter(tags=["packages"])


@router.get(
    "/dossiers/{code}/package",
    response_class=FileResponse,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "the package (a zipped BagIt bag)"}},
)
def download_package(code: str, request: Request, backends: BackendsDep, who: WhoDep) -> FileResponse:
    """The dossier as one BagIt package signed by this installation: each document the caller may read
    (scanned or reused) with its master, searchable PDF, signed copies, page words and record; the dossier
    record; the provenance file; sha256 manifests. A download of these papers, audited as such."""
    dossier = readable_dossier(backends, who, code)
    for link in dossier.links:
        # Noted on the trail as a read of each paper (whose, through which dossier), as a download is.
        document = load_document(backends.store, link.doc_id)
        granted = document_grants(backends, who, document)
        may_read_document(backends, who, document.owner_id, document.agency, granted)
    note(request, documents=str(len(dossier.links)))
    signer = installation_signer(backends.settings)
    scratch = Path(tempfile.mkdtemp(prefix="sohoa-package-", dir=backends.settings.scratch_dir))
    name = f"{bag_root(code)}.zip"
    try:
        stats = export_dossier(
            backends.store,
            dossier,
            scratch / name,
            signer=signer,
            anchors=backends.trust_anchors,
            by=who.username,
            scratch_root=scratch,
        )
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return FileResponse(
        stats.path,
        media_type=MEDIA_TYPE,
        filename=name,
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )


def importing_agency(who: Principal, named: str | None) -> str:
    """The agency an import grants the dossier to: a staff member's own (naming another is refused); an
    administrator, who belongs to none, names it."""
    named = (named or "").strip() or None
    if who.agency is not None:
        if named not in (None, who.agency):
            raise Forbidden(
                "Chỉ nhập hồ sơ cho cơ quan của mình", "packages are imported for your own agency"
            )
        return who.agency
    if named is None:
        raise BadInput("Hãy ghi mã cơ quan nhập hồ sơ (agency)", "name the importing agency's code (agency)")
    return check_agency(named)


async def _receive(request: Request, path: Path, limit: int) -> None:
    """The body into `path` as it streams in, cut off past `limit` bytes."""
    seen = 0
    with path.open("wb") as out:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise TooLarge(f"Gói hồ sơ vượt quá {limit:,} byte", f"package exceeds {limit:,} bytes")
            out.write(chunk)


@router.post(
    "/packages",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "description": "a package made by `sohoa export` or GET /dossiers/{code}/package elsewhere",
        }
    },
)
async def import_dossier_package(
    request: Request,
    backends: BackendsDep,
    who: WhoDep,
    agency: Annotated[
        str | None,
        Query(max_length=40, description="the importing agency's code: administrators only (staff: theirs)"),
    ] = None,
) -> ImportReport:
    """Import a dossier package from another installation: its fixity, the exporter's signature, the records
    against the files and every signature are checked before anything is stored; ids, codes and provenance
    are kept. The importing agency (the staff member's; named by an administrator) holds the dossier and its
    documents as its own. The same package again stores nothing new (`already_imported`)."""
    holder = importing_agency(who, agency)
    settings = backends.settings
    settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sohoa-upload-", dir=settings.scratch_dir))
    try:
        package = scratch / "package.zip"
        await _receive(request, package, settings.max_upload_bytes)
        report = await run_in_threadpool(
            import_package,
            backends.store,
            backends.index,
            package,
            anchors=backends.trust_anchors,
            by=who.username,
            agency=holder,
            max_bytes=settings.max_upload_bytes,
            scratch_root=scratch,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    note(
        request,
        record=report.dossier_code,
        package=report.package_sha256,
        written=str(report.written),
        agency=holder,
    )
    return report
