"""Whether a PDF holds a filled signature field, read with pikepdf: most scans arrive unsigned, and finding
that out this way spares loading pyHanko (about 50 MB and 0.6 s) in every process that ingests them."""

from __future__ import annotations

from pathlib import Path

import pikepdf

_MAX_DEPTH = 16  # form fields nest a few levels; a deeper tree is malformed (or a loop)


def may_be_signed(path: Path) -> bool:
    """False only when the file surely holds no filled signature field; when the form cannot be read, True,
    so that the signature check itself looks and says what is wrong."""
    try:
        with pikepdf.open(path) as pdf:
            form = pdf.Root.get("/AcroForm")
            if form is None:
                return False
            return _any_signed(form.get("/Fields", []), None, 0)
    except (pikepdf.PdfError, OSError, TypeError, ValueError, AttributeError):
        return True


def _any_signed(fields: object, inherited: object, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return True  # cannot tell: the signature check will look
    if not isinstance(fields, pikepdf.Array):
        return False
    for field in fields:
        if not isinstance(field, pikepdf.Dictionary):
            continue
        kind = field.get("/FT", inherited)
        if kind == pikepdf.Name.Sig and "/V" in field:
            return True
        if _any_signed(field.get("/Kids"), kind, depth + 1):
            return True
    return False
