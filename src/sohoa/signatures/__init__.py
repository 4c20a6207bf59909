"""PAdES signatures on sohoa's PDFs (pyHanko): keys from PKCS#12 files or PKCS#11 tokens, the visible box the
rules ask for, and checking the signatures of PDFs that arrive signed. Knows nothing of storage or search.

The names below are loaded when first used (PEP 562): pyHanko and what it brings (aiohttp, cryptography)
take about 50 MB and 0.6 s to import, which a process that only ingests unsigned scans never needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sohoa.signatures.anchors import load_trust_anchors

if TYPE_CHECKING:
    from sohoa.signatures.keys import Pkcs11Key, load_pkcs12, open_pkcs11, signer_name
    from sohoa.signatures.sign import SigningRequest, sign_pdf
    from sohoa.signatures.verify import verify_pdf

_WHERE = {
    "Pkcs11Key": "keys",
    "load_pkcs12": "keys",
    "open_pkcs11": "keys",
    "signer_name": "keys",
    "SigningRequest": "sign",
    "sign_pdf": "sign",
    "verify_pdf": "verify",
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sohoa.signatures.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
