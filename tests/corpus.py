"""Test inputs made on the spot: synthetic scans with ground truth, and files sohoa must refuse."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pikepdf

from sohoa.samples.scangen import Degradation, blank_back, make_page, write_pdf, write_tiff

# Each test page: a seed and what was done to it. A5 pages keep OCR time down; the mix covers what a
# scanner does to paper: skew, a page fed turned, noise and blur, JPEG artefacts, a dark lid border.
PAGE_KINDS = [
    Degradation(),
    Degradation(skew_deg=2.5, noise=6.0),
    Degradation(turn=90),
    Degradation(turn=180, blur=0.8),
    Degradation(turn=270, jpeg_quality=60),
    Degradation(skew_deg=-3.0, dark_border=True),
]


def write_sample_scans(out: Path, *, seed: int = 11) -> dict[str, str]:
    """PNG/JPEG pages, one 2-page PDF, one 2-frame TIFF, one blank back; returns file name → ground truth."""
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    pages = [make_page(seed=seed + i, size="A5", lines=8, degradation=d) for i, d in enumerate(PAGE_KINDS)]
    for i, page in enumerate(pages):
        ext = "jpg" if page.degradation.jpeg_quality else "png"
        name = f"page-{i:02d}.{ext}"
        if ext == "jpg":
            page.image.save(out / name, quality=page.degradation.jpeg_quality, dpi=(300, 300))
        else:
            page.image.save(out / name, dpi=(300, 300))
        truth[name] = page.text
    pdf_pages = [make_page(seed=seed + 50 + i, size="A5", lines=8) for i in range(2)]
    write_pdf([p.image for p in pdf_pages], out / "two-pages.pdf")
    truth["two-pages.pdf"] = "\n".join(p.text for p in pdf_pages)
    tiff_pages = [make_page(seed=seed + 60 + i, size="A5", lines=6) for i in range(2)]
    write_tiff([p.image for p in tiff_pages], out / "two-frames.tif")
    truth["two-frames.tif"] = "\n".join(p.text for p in tiff_pages)
    blank_back(size="A5", bleed_from=pages[0].image, seed=seed).save(out / "blank-back.png", dpi=(300, 300))
    truth["blank-back.png"] = ""
    return truth


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_png(path: Path, width: int = 30_000, height: int = 30_000) -> Path:
    """A valid PNG header announcing 900 million pixels: what a decompression bomb looks like at the door."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    return path


def bad_files(out: Path, good_pdf: Path) -> dict[str, tuple[Path, str]]:
    """name → (file, the error code sohoa must answer with)."""
    out.mkdir(parents=True, exist_ok=True)
    empty = out / "empty.pdf"
    empty.write_bytes(b"")
    text = out / "notes.pdf"  # a name that lies: the content is plain text
    text.write_text("Đây không phải là bản quét.\n", encoding="utf-8")
    truncated = out / "truncated.pdf"
    truncated.write_bytes(good_pdf.read_bytes()[:700])
    encrypted = out / "encrypted.pdf"
    with pikepdf.open(good_pdf) as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(user="mat-khau", owner="chu-so-huu"))
    garbage_png = out / "garbage.png"
    garbage_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    return {
        "empty": (empty, "empty_file"),
        "not-a-scan": (text, "unsupported_type"),
        "truncated-pdf": (truncated, "corrupt_file"),
        "encrypted-pdf": (encrypted, "encrypted_file"),
        "pixel-bomb": (huge_png(out / "bomb.png"), "too_large"),
        "garbage-png": (garbage_png, "corrupt_file"),
    }
