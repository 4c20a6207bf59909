"""Check the signatures in a PDF: integrity (the signed bytes unchanged, the byte ranges covering the file or
only followed by changes signing allows), the signer's chain to the configured trust anchors (the national
root CAs in production; tests make their own CA), the certificate's validity at signing time, and revocation
data when the file carries it. Nothing is fetched from the network: a counter may be offline, and what the
verdict rests on must be what the file and the configuration hold.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import ModificationLevel, PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from sohoa.records.basics import utcnow
from sohoa.records.signatures import SignatureCheck, SignatureVerdict
from sohoa.signatures.errors import CHECKING, translated
from sohoa.signatures.keys import signer_name

# Adding a later signature (and its appearance) or validation data is what signing itself does.
_ALLOWED_AFTER = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}


def verify_pdf(path: Path, anchors: list[x509.Certificate]) -> list[SignatureCheck]:
    """One check per signature in the file, in signing order; [] for an unsigned PDF."""
    with translated(CHECKING), path.open("rb") as f:
        reader = PdfFileReader(f, strict=False)
        return [_check(sig, reader, anchors) for sig in reader.embedded_signatures]


def _context(reader: PdfFileReader, anchors: list[x509.Certificate], moment: datetime) -> ValidationContext:
    kwargs = {
        "trust_roots": anchors,
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
        "moment": moment,
    }
    try:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    except NoDSSFoundError:
        return ValidationContext(**kwargs)


def _check(
    sig: EmbeddedPdfSignature, reader: PdfFileReader, anchors: list[x509.Certificate]
) -> SignatureCheck:
    now = utcnow()
    # The certificate must have been good when it signed: the timestamp's time if there is one (pyHanko
    # checks it), else the time the signer claims.
    claimed = sig.self_reported_timestamp
    base = {"field": sig.field_name, "checked_at": now}
    try:
        cert = sig.signer_cert
        base |= {"signer": signer_name(cert), "signer_subject": cert.subject.human_friendly}
        status = validate_pdf_signature(
            sig, signer_validation_context=_context(reader, anchors, claimed or now)
        )
    except (SignatureValidationError, PdfReadError, ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(
            **base,
            verdict=SignatureVerdict.INVALID,
            signed_at=claimed,
            reason_vi="Không kiểm tra được chữ ký (chữ ký hỏng)",
            reason_en=f"the signature cannot be checked: {type(exc).__name__}",
        )
    return SignatureCheck(**base, **_verdict(status), **_when(status, claimed))


def _when(status: PdfSignatureStatus, claimed: datetime | None) -> dict:
    stamp = status.timestamp_validity
    if stamp is not None and stamp.intact and stamp.valid:
        return {"signed_at": stamp.timestamp, "timestamped": True, "covers_whole_file": _whole(status)}
    return {"signed_at": status.signer_reported_dt or claimed, "covers_whole_file": _whole(status)}


def _whole(status: PdfSignatureStatus) -> bool:
    return status.coverage is SignatureCoverageLevel.ENTIRE_FILE


def _verdict(status: PdfSignatureStatus) -> dict:
    if not (status.intact and status.valid):
        return _says(
            SignatureVerdict.INVALID,
            "Nội dung đã ký không khớp với chữ ký",
            "the signed bytes do not match the signature",
        )
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return _says(
            SignatureVerdict.INVALID,
            "Vùng ký không bao trùm toàn bộ tài liệu",
            "the signed byte ranges do not cover the document",
        )
    if not _whole(status) and (status.docmdp_ok is False or status.modification_level not in _ALLOWED_AFTER):
        return _says(
            SignatureVerdict.MODIFIED,
            "Tài liệu đã bị sửa nội dung sau khi ký",
            f"the document was changed after signing ({status.modification_level.name.lower()})",
        )
    if status.revoked:
        return _says(
            SignatureVerdict.UNTRUSTED, "Chứng thư số đã bị thu hồi", "the signer's certificate is revoked"
        )
    if not status.trusted:
        problem = status.trust_problem_indic.name.lower() if status.trust_problem_indic else "untrusted"
        return _says(
            SignatureVerdict.UNTRUSTED,
            "Người ký không thuộc tổ chức chứng thực được tin cậy, hoặc chứng thư hết hạn khi ký",
            f"the signer does not chain to a trust anchor, or the certificate was not valid then ({problem})",
        )
    return _says(SignatureVerdict.VALID, "Chữ ký hợp lệ", "the signature is valid")


def _says(verdict: SignatureVerdict, vi: str, en: str) -> dict:
    return {"verdict": verdict, "reason_vi": vi, "reason_en": en}
