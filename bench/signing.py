"""Signing benchmark: the cost per document of sohoa's signature (PAdES, visible Vietnamese box, embedded font
subset) with a PKCS#12 key and with a PKCS#11 token (SoftHSM2), and of checking it, against pyHanko's plain
invisible signature on the same files in the same run (the floor: hashing, CMS, the incremental update).

Documents are searchable PDFs of generated A4 scans (300 dpi JPEG page images, no text layer: OCR is not
what is measured), of 1 and of 10 pages.

    .venv/bin/python bench/signing.py --docs 20
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from rich.console import Console

from _table import SideBySide, percentile
from sohoa.ocr.pdf import build_searchable_pdf
from sohoa.ocr.textlayer import text_layer_pdf
from sohoa.records.signatures import SignatureVerdict, SignerRole
from sohoa.samples.pki import issue, make_ca
from sohoa.samples.scangen import make_page
from sohoa.samples.softhsm import PIN, make_token
from sohoa.signatures import SigningRequest, load_pkcs12, open_pkcs11, sign_pdf, verify_pdf

PASS = "bench-passphrase"


def make_pdf(path: Path, pages: int, seed: int) -> Path:
    parts = []
    for n in range(pages):
        page = make_page(seed=seed + n, size="A4", lines=20)
        jpeg = path.with_suffix(f".{n}.jpg")
        page.image.convert("RGB").save(jpeg, quality=85, dpi=(300, 300))
        width, height = page.image.size
        text = path.with_suffix(f".{n}.text.pdf")
        text.write_bytes(text_layer_pdf([], width, height, 300))
        parts.append((jpeg, text, 300))
    build_searchable_pdf(parts, path)
    for jpeg, text, _ in parts:
        jpeg.unlink()
        text.unlink()
    return path


def plain_sign(source: Path, out: Path, signer: signers.Signer) -> None:
    with source.open("rb") as inf, out.open("wb") as output:
        meta = signers.PdfSignatureMetadata(field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES)
        signers.PdfSigner(meta, signer=signer).sign_pdf(
            IncrementalPdfFileWriter(inf, strict=False), output=output
        )


def plain_verify(path: Path, anchors: list[asn1_x509.Certificate]) -> None:
    with path.open("rb") as f:
        for sig in PdfFileReader(f, strict=False).embedded_signatures:
            validate_pdf_signature(sig, ValidationContext(trust_roots=anchors))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20, help="documents of each size")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-sign-") as tmp_name:
        tmp = Path(tmp_name)
        root = make_ca("Bench root CA")
        holder = issue(root, "Nguyễn Thị Lan", rsa_key=True)
        anchors = [asn1_x509.Certificate.load(root.cert.public_bytes(Encoding.DER))]
        p12 = load_pkcs12(holder.pkcs12(tmp / "lan.p12", PASS), PASS)
        token_key = make_token(tmp / "hsm", "bench", holder, "lan")
        request = SigningRequest(role=SignerRole.DIGITIZER, name="Nguyễn Thị Lan")
        table = SideBySide(
            f"Signing cost per document, ms ({args.docs} documents of each size)",
            ["pyHanko plain (peer)", "sohoa"],
            ratio_label="sohoa / peer",
        )
        with open_pkcs11(token_key, PIN) as token:
            for pages in (1, 10):
                docs = [
                    make_pdf(tmp / f"d{pages}-{i}.pdf", pages, seed=100 * pages + i) for i in range(args.docs)
                ]
                size_mb = sum(d.stat().st_size for d in docs) / len(docs) / 1e6
                for label, signer in (("PKCS#12", p12), ("PKCS#11 (SoftHSM2)", token)):
                    peer, ours = [], []
                    for i, doc in enumerate(docs):
                        peer.append(timed(lambda d=doc, i=i, s=signer: plain_sign(d, tmp / f"p{i}.pdf", s)))
                        ours.append(
                            timed(lambda d=doc, i=i, s=signer: sign_pdf(d, tmp / f"s{i}.pdf", s, request))
                        )
                    for p in (50, 95):
                        table.row(
                            f"sign, {pages} p ({size_mb:.1f} MB), {label}, p{p}",
                            [percentile(peer, p), percentile(ours, p)],
                            ".0f",
                        )
                peer = [timed(lambda i=i: plain_verify(tmp / f"p{i}.pdf", anchors)) for i in range(len(docs))]
                ours = []
                for i in range(len(docs)):
                    start = time.perf_counter()
                    [check] = verify_pdf(tmp / f"s{i}.pdf", anchors)
                    ours.append((time.perf_counter() - start) * 1000)
                    assert check.verdict is SignatureVerdict.VALID, check
                table.row(f"verify, {pages} p, p50", [percentile(peer, 50), percentile(ours, 50)], ".0f")
    console.print(table.table)


if __name__ == "__main__":
    main()
