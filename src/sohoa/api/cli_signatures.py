"""`sohoa sign DOC_ID` and `sohoa verify FILE|DOC_ID`: signing a stored copy with a PKCS#12 file or a PKCS#11
token, and checking the signatures of a PDF on disk or of a stored document."""

from __future__ import annotations

import re
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sohoa.api.backends import Backends, make_backends
from sohoa.api.cli_common import audit, backends_or_fail, console, fail
from sohoa.api.settings import Settings
from sohoa.errors import BadInput, ExitCode, SohoaError
from sohoa.records.access import AuditAction
from sohoa.records.signatures import VERDICT_VI, SignatureCheck, SignatureVerdict, SignerRole

if TYPE_CHECKING:
    from pyhanko.sign.signers.pdf_cms import Signer

_DOC_ID = re.compile(r"[0-9a-f]{24}")


def _secret(label: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(label, hide_input=True)


def _signer(
    p12: Path | None,
    pkcs11_lib: Path | None,
    token: str | None,
    key: str | None,
    cert: Path | None,
    stdin: bool,
) -> AbstractContextManager[Signer]:
    from sohoa.signatures import Pkcs11Key, load_pkcs12, open_pkcs11

    if (p12 is None) == (pkcs11_lib is None):
        raise BadInput(
            "Cần đúng một nguồn khóa: --p12 hoặc --pkcs11-lib", "give one of --p12 or --pkcs11-lib"
        )
    if p12 is not None:
        return nullcontext(load_pkcs12(p12, _secret("Mật khẩu khóa / key passphrase", stdin)))
    if not token or not key:
        raise BadInput("Thiếu --token hoặc --key", "--pkcs11-lib needs --token and --key")
    return open_pkcs11(Pkcs11Key(pkcs11_lib, token, key, cert), _secret("Mã PIN / PIN", stdin))


def sign(
    doc_id: str,
    by: Annotated[str, typer.Option("--by", help="user name recorded in the document's history")],
    role: Annotated[SignerRole, typer.Option(help="digitizer (top-left box) or agency (top-right)")] = (
        SignerRole.DIGITIZER
    ),
    p12: Annotated[Path | None, typer.Option(help="PKCS#12 key file")] = None,
    pkcs11_lib: Annotated[Path | None, typer.Option(help="PKCS#11 module of the token")] = None,
    token: Annotated[str | None, typer.Option(help="token label")] = None,
    key: Annotated[str | None, typer.Option(help="key label on the token")] = None,
    cert: Annotated[
        Path | None, typer.Option(help="signer certificate (PEM/DER), if not on the token")
    ] = None,
    title: Annotated[str, typer.Option(help="the signer's role as shown in the box")] = "Cán bộ số hóa",
    secret_stdin: Annotated[bool, typer.Option(help="read the passphrase or PIN from stdin")] = False,
) -> None:
    """Sign a stored document's copy (PAdES); the signed copy is stored as a new file and the step is
    recorded in the document's history."""
    from sohoa.archive.signing import sign_document
    from sohoa.signatures import SigningRequest, signer_name

    with backends_or_fail() as backends, _signer(p12, pkcs11_lib, token, key, cert, secret_stdin) as signer:
        request = SigningRequest(
            role=role,
            name=signer_name(signer.signing_cert),
            title=title,
            tsa_url=backends.settings.tsa_url,
        )
        document = sign_document(
            backends.store,
            backends.index,
            doc_id,
            signer,
            request,
            by=by,
            trust_anchors=backends.trust_anchors,
            scratch_root=backends.settings.scratch_dir,
        )
    console.print(f"đã ký / signed: {document.signed_pdf_key}")
    _print_checks("Bản sao đã ký / signed copy", document.copy_signatures)


def verify(
    target: Annotated[str, typer.Argument(help="a PDF file, or the id of a stored document")],
) -> None:
    """Check the signatures of a PDF or of a stored document against SOHOA_TRUST_ANCHORS. Exits 0 when every
    signature is valid (or there is none), 1 when any is not."""
    from sohoa.archive.signing import check_document
    from sohoa.signatures import load_trust_anchors, verify_pdf

    settings = Settings()
    path = Path(target)
    try:
        anchors = load_trust_anchors(settings.trust_anchors) if settings.trust_anchors else []
        if path.is_file() or not _DOC_ID.fullmatch(target):
            if not path.is_file():
                raise BadInput(f"Không tìm thấy tệp {target}", f"no such file or document: {target}")
            sets = {path.name: verify_pdf(path, anchors)}
        else:
            backends: Backends = make_backends(settings)
            try:
                report = check_document(backends.store, target, anchors)
                audit(backends, AuditAction.VIEW, "verify", record=target)
            finally:
                backends.close()
            sets = {"Bản gốc / as received": report.source, "Bản sao đã ký / signed copy": report.signed_copy}
    except SohoaError as exc:
        raise fail(exc) from exc
    for title, checks in sets.items():
        _print_checks(title, checks)
    if any(c.verdict is not SignatureVerdict.VALID for checks in sets.values() for c in checks):
        raise typer.Exit(ExitCode.ERROR)


def _print_checks(title: str, checks: list[SignatureCheck]) -> None:
    if not checks:
        console.print(f"{title}: không có chữ ký / no signature")
        return
    table = Table(title=title)
    for column in ("field", "verdict", "signer", "signed at", "why"):
        table.add_column(column)
    for c in checks:
        when = c.signed_at.isoformat() if c.signed_at else ""
        verdict = f"{c.verdict.value} ({VERDICT_VI[c.verdict]})"
        table.add_row(c.field, verdict, c.signer or "", when, f"{c.reason_vi} / {c.reason_en}")
    console.print(table)
