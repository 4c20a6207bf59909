"""`sohoa export DOSSIER_CODE --out FILE` and `sohoa import FILE`: a dossier handed to another installation
as one signed BagIt package (docs/package.md), and such a package stored here after every check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sohoa.api.cli_common import audit, backends_or_fail, console, operator
from sohoa.api.packages import installation_signer
from sohoa.errors import SohoaError
from sohoa.records.access import AuditAction
from sohoa.records.codes import check_agency


def export(
    code: Annotated[str, typer.Argument(help="the dossier code (mã hồ sơ)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the package file to write (.zip)")],
) -> None:
    """Write the dossier and every document in it (scanned or reused) as one signed BagIt package."""
    from sohoa.archive.dossiers import load_dossier
    from sohoa.archive.package_export import export_dossier

    with backends_or_fail("export") as backends:
        dossier = load_dossier(backends.store, code)
        signer = installation_signer(backends.settings)
        audit(backends, AuditAction.DOWNLOAD, "export", record=code, package=str(out.name))
        stats = export_dossier(
            backends.store,
            dossier,
            out,
            signer=signer,
            anchors=backends.trust_anchors,
            by=operator(),
            scratch_root=backends.settings.scratch_dir,
        )
    console.print(
        f"{stats.path}\t{len(dossier.links)} tài liệu / documents\t{stats.files} tệp / files\t"
        f"{stats.files_bytes} byte trong tệp / in files\t{stats.package_bytes} byte gói / package "
        f"({stats.ratio:.0%})",
        soft_wrap=True,
    )


def import_(
    package: Annotated[Path, typer.Argument(help="a package made by `sohoa export` at another installation")],
    agency: Annotated[
        str | None,
        typer.Option("--agency", help="the importing agency's code: its staff and officers hold the dossier"),
    ] = None,
) -> None:
    """Check a package (fixity, the exporter's signature, the records against the files, every signature)
    and store what this installation does not hold yet; the same package twice stores nothing new. The
    importing agency (--agency, required) may then read the dossier and its documents as its own."""
    from sohoa.archive.package_import import import_package
    from sohoa.errors import BadInput

    with backends_or_fail("import") as backends:
        if not agency:
            raise BadInput(
                "Hãy ghi mã cơ quan nhập hồ sơ: --agency MÃ", "name the importing agency: --agency CODE"
            )
        check_agency(agency)
        if not package.is_file():
            raise BadInput(f"Không tìm thấy tệp {package}", f"no such file: {package}")
        try:
            report = import_package(
                backends.store,
                backends.index,
                package,
                anchors=backends.trust_anchors,
                by=operator(),
                agency=agency,
                max_bytes=backends.settings.max_upload_bytes,
                scratch_root=backends.settings.scratch_dir,
            )
        except SohoaError as exc:
            audit(backends, AuditAction.IMPORT, "import", status=exc.http_status, package=package.name)
            raise
        audit(
            backends,
            AuditAction.IMPORT,
            "import",
            record=report.dossier_code,
            package=report.package_sha256,
            written=str(report.written),
            agency=agency,
        )
    vi, en = report.message
    console.print(f"{vi}\n{en}", soft_wrap=True)
