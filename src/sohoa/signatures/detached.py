"""Detached CMS signatures over plain bytes (not PDFs): how an installation seals what it exports (the tag
manifest of a dossier package) and how another checks that seal against its own trust anchors.

pyHanko's generic CMS signer and validator do the work (the same library, keys and anchors as the PAdES
signatures), so no cryptography is made here; the verdict uses the words of `records.signatures`."""

from __future__ import annotations

import asyncio

from asn1crypto import cms, x509
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from sohoa.errors import BadInput
from sohoa.records.basics import utcnow
from sohoa.records.signatures import SignatureCheck, SignatureVerdict
from sohoa.signatures.keys import signer_name


def sign_detached(data: bytes, signer: Signer) -> bytes:
    """A detached CMS SignedData (DER) over `data`, SHA-256, with the signer's certificate in it."""
    try:
        info = asyncio.run(signer.async_sign_general_data(data, "sha256", detached=True))
    except (SigningError, ValueError) as exc:
        raise BadInput("Không ký được gói hồ sơ", f"cannot sign the package: {exc}") from exc
    return info.dump()


def verify_detached(data: bytes, signature: bytes, anchors: list[x509.Certificate]) -> SignatureCheck:
    """Check a detached signature made by `sign_detached` over `data`: intact, and its signer chains to one
    of `anchors`. Never raises for a bad signature: the verdict says what is wrong."""
    now = utcnow()
    base: dict = {"field": "package", "checked_at": now}
    try:
        info = cms.ContentInfo.load(signature)
        signed = info["content"]
        if info["content_type"].native != "signed_data" or not isinstance(signed, cms.SignedData):
            raise ValueError("not a CMS SignedData")
        context = ValidationContext(trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail")
        status = asyncio.run(async_validate_detached_cms(data, signed, signer_validation_context=context))
    except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        return SignatureCheck(
            **base,
            verdict=SignatureVerdict.INVALID,
            reason_vi="Không đọc được chữ ký của gói",
            reason_en=f"the package signature cannot be read: {type(exc).__name__}",
        )
    cert = status.signing_cert
    base |= {"signer": signer_name(cert), "signer_subject": cert.subject.human_friendly}
    base["signed_at"] = status.signer_reported_dt
    if not (status.intact and status.valid):
        return SignatureCheck(
            **base,
            verdict=SignatureVerdict.INVALID,
            reason_vi="Nội dung gói không khớp với chữ ký của gói",
            reason_en="the package's manifests do not match its signature",
        )
    if not status.trusted or status.revoked:
        return SignatureCheck(
            **base,
            verdict=SignatureVerdict.UNTRUSTED,
            reason_vi="Gói được ký bởi nơi không được tin cậy",
            reason_en="the package is signed by a key that does not chain to a trust anchor here",
        )
    return SignatureCheck(
        **base, verdict=SignatureVerdict.VALID, reason_vi="Chữ ký hợp lệ", reason_en="the signature is valid"
    )
