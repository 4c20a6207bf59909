"""The trust anchors signatures are checked against: root certificates read from a file or a folder. Kept
apart from the checking itself so that loading them (every process that ingests does) does not load
pyHanko."""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pem, x509

from sohoa.errors import BadInput

_CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


def load_trust_anchors(path: Path) -> list[x509.Certificate]:
    """Root certificates from a PEM/DER file (a PEM file may hold several) or a folder of them."""
    files = (
        sorted(p for p in path.iterdir() if p.suffix.lower() in _CERT_SUFFIXES) if path.is_dir() else [path]
    )
    anchors: list[x509.Certificate] = []
    for file in files:
        try:
            data = file.read_bytes()
            if pem.detect(data):
                anchors += [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
            else:
                anchors.append(x509.Certificate.load(data))
        except (OSError, ValueError, TypeError) as exc:
            raise BadInput(
                f"Không đọc được chứng thư gốc {file.name}", f"cannot read trust anchor {file.name}"
            ) from exc
    return anchors
