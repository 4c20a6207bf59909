"""PAdES signatures on sohoa's PDFs (pyHanko): keys from PKCS#12 files or PKCS#11 tokens, the visible box the
rules ask for, and checking the signatures of PDFs that arrive signed. Knows nothing of storage or search."""

from sohoa.signatures.keys import Pkcs11Key, load_pkcs12, open_pkcs11, signer_name
from sohoa.signatures.sign import SigningRequest, sign_pdf
from sohoa.signatures.verify import load_trust_anchors, verify_pdf

__all__ = [
    "Pkcs11Key",
    "SigningRequest",
    "load_pkcs12",
    "load_trust_anchors",
    "open_pkcs11",
    "sign_pdf",
    "signer_name",
    "verify_pdf",
]
