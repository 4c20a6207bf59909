"""Digital signatures as the records see them: who signs a digitized copy and where (Circular 01/2023 art. 8,
Decree 30/2020), and the verdict of checking a signed PDF, kept on the document and shown wherever it is."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from sohoa.records.basics import NfcStr


class SignerRole(StrEnum):
    # The person who digitized the paper: a visible box, top-left of page 1, with name and time.
    DIGITIZER = "digitizer"
    # The agency certifying the copy (bản sao điện tử): top-right of page 1, no image.
    AGENCY = "agency"


class SignatureVerdict(StrEnum):
    VALID = "valid"  # intact, covers the file, signer chains to a trust anchor, certificate good then
    INVALID = "invalid"  # the signed bytes do not match the signature (or it cannot be read)
    MODIFIED = "modified"  # intact, but the file was changed after signing in a way signing does not allow
    UNTRUSTED = "untrusted"  # intact, but the signer does not chain to a configured anchor, or the
    # certificate was expired or revoked when it signed


VERDICT_VI = {
    SignatureVerdict.VALID: "hợp lệ",
    SignatureVerdict.INVALID: "không hợp lệ",
    SignatureVerdict.MODIFIED: "tài liệu bị sửa sau khi ký",
    SignatureVerdict.UNTRUSTED: "người ký không được tin cậy",
}


class SignatureCheck(BaseModel):
    """One signature in a PDF, as checked at `checked_at`."""

    field: str
    verdict: SignatureVerdict
    signer: NfcStr | None = None  # the certificate's subject common name
    signer_subject: NfcStr | None = None
    signed_at: datetime | None = None  # the signer's own claim, or the timestamp's time when there is one
    timestamped: bool = False
    covers_whole_file: bool = False
    reason_vi: NfcStr = ""
    reason_en: str = ""
    checked_at: datetime


def overall(checks: list[SignatureCheck]) -> SignatureVerdict | None:
    """One verdict for a file: None when it carries no signature, else the worst of its signatures."""
    if not checks:
        return None
    order = [
        SignatureVerdict.INVALID,
        SignatureVerdict.MODIFIED,
        SignatureVerdict.UNTRUSTED,
        SignatureVerdict.VALID,
    ]
    return min((c.verdict for c in checks), key=order.index)
