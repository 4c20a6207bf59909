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


def hostile_files(out: Path, good_pdf: Path) -> dict[str, tuple[str, bytes, str]]:
    """name → (the file name sent, the bytes, the error code sohoa must answer with): files made to hurt."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[str, bytes, str]] = {
        name: ("scan.pdf", path.read_bytes(), code) for name, (path, code) in bad_files(out, good_pdf).items()
    }
    good = good_pdf.read_bytes()
    pdf_bomb = out / "bomb.pdf"  # 10,000 tiny pages: cheap to send, ruinous to rasterize
    with pikepdf.new() as pdf:
        for _ in range(10_000):
            pdf.add_blank_page(page_size=(72, 72))
        pdf.save(pdf_bomb)
    huge_page = out / "huge-page.pdf"  # one page 200 inches square: 3.6 billion pixels at 300 dpi
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(200 * 72, 200 * 72))
        pdf.save(huge_page)
    no_pages = out / "no-pages.pdf"
    with pikepdf.new() as pdf:
        pdf.save(no_pages)
    # A TIFF whose header announces 100,000 × 100,000 pixels over a few bytes of data.
    entries = [(256, 4, 100_000), (257, 4, 100_000), (258, 3, 8), (262, 3, 1), (273, 4, 8), (277, 3, 1),
               (278, 4, 100_000), (279, 4, 16)]  # fmt: skip
    tiff_bomb = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    tiff_bomb += b"".join(struct.pack("<HHII", tag, kind, 1, value) for tag, kind, value in entries)
    tiff_bomb += struct.pack("<I", 0)
    unsupported, corrupt = "unsupported_type", "corrupt_file"
    gifar = b"GIF89a\x01\x00\x01\x00" + b"PK\x03\x04" + b"\x00" * 64
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    xml_bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;&a;</l>'
    files |= {
        "pdf-bomb-10000-pages": ("bomb.pdf", pdf_bomb.read_bytes(), "too_large"),
        "pdf-page-200-inches": ("big.pdf", huge_page.read_bytes(), "too_large"),
        "pdf-without-pages": ("empty-pages.pdf", no_pages.read_bytes(), "empty_file"),
        "tiff-bomb": ("scan.tif", tiff_bomb, "too_large"),
        "truncated-jpeg": ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 30, "corrupt_file"),
        "png-with-html": ("scan.png", b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", corrupt),
        "pdf-header-zip-body": ("scan.pdf", b"%PDF-1.7\n" + b"PK\x03\x04" + b"\x00" * 200, "corrupt_file"),
        "gif-zip-polyglot": ("scan.pdf", gifar, unsupported),
        "exe-named-pdf": ("scan.pdf", b"MZ\x90\x00" + b"\x00" * 200, "unsupported_type"),
        "html-named-png": ("scan.png", b"<!doctype html><script>fetch('/')</script>", "unsupported_type"),
        "svg-named-png": ("scan.png", svg, unsupported),
        "xml-bomb": ("scan.pdf", xml_bomb, unsupported),
        "zip-named-tif": ("scan.tif", b"PK\x03\x04" + b"\x00" * 100, "unsupported_type"),
        "utf16-text-named-pdf": ("scan.pdf", "Không phải PDF".encode("utf-16"), "unsupported_type"),
        "path-traversal-name": ("../../../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", unsupported),
        "windows-traversal-name": ("..\\..\\windows\\system32\\a.pdf", good[:400], "corrupt_file"),
        "nul-in-name": ("scan\x00.pdf.png", b"\x00" * 4096, "unsupported_type"),
    }  # fmt: skip
    return files


def hostile_kinds() -> list[str]:
    """The names of `hostile_files`, for parametrizing without building them."""
    return [
        "empty", "not-a-scan", "truncated-pdf", "encrypted-pdf", "pixel-bomb", "garbage-png",
        "pdf-bomb-10000-pages", "pdf-page-200-inches", "pdf-without-pages", "tiff-bomb", "truncated-jpeg",
        "png-with-html", "pdf-header-zip-body", "gif-zip-polyglot", "exe-named-pdf", "html-named-png",
        "svg-named-png", "xml-bomb", "zip-named-tif", "utf16-text-named-pdf", "path-traversal-name",
        "windows-traversal-name", "nul-in-name",
    ]  # fmt: skip
