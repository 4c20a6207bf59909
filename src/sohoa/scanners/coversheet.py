"""Cover sheets: the page staff put on top of each dossier's papers in a stack, so the scanner's output can be
cut into documents. sohoa prints it (A4 PDF, Vietnamese, a QR code with the dossier code, procedure code,
owner ID and expected page count) and recognises it in a scanned stack by its QR code (OpenCV).

The QR payload is `SOHOA1|dossier|procedure|owner|pages`, or `SOHOA2|dossier|procedure|owner|pages|kind|type`
when the sheet says what the papers behind it are (results of a type, say): a plain sheet is still printed
as version 1, so stations that read only version 1 keep reading it. A QR code that does not start with
`SOHOA` and a version (papers carry their own QR codes now: ID cards, e-certificates) is not a cover sheet;
a cover sheet whose kind, type or version cannot be used is recognised as one, with the reason.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import cv2
import img2pdf
import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from sohoa.records.batches import DOC_TYPE_SLUG, CoverSheet
from sohoa.records.doctypes import doc_type
from sohoa.records.models import DocumentKind

PREFIX = "SOHOA1"
PREFIX_KIND = "SOHOA2"  # with the kind and type of the papers behind the sheet
_VERSION = re.compile(r"SOHOA\d+")
_FONTS = Path("/usr/share/fonts/truetype/noto")  # Debian's fonts-noto-core (installed by `make`)
_DPI = 150
_A4 = (round(210 / 25.4 * _DPI), round(297 / 25.4 * _DPI))
# Looked for at about 100 dpi: a 60 mm code is then 240 pixels, plenty for the detector, and the search
# over a whole page stays in the tens of milliseconds.
_READ_LONG_SIDE = 1200


def payload(cover: CoverSheet) -> str:
    fields: list[object] = [cover.dossier_code, cover.procedure_code, cover.owner_id, cover.expected_pages]
    prefix = PREFIX
    if cover.kind is not DocumentKind.COMPONENT or cover.doc_type:
        prefix, fields = PREFIX_KIND, [*fields, cover.kind.value, cover.doc_type]
    return "|".join([prefix, *("" if f is None else str(f) for f in fields)])


def parse_payload(text: str) -> CoverSheet | None:
    parts = text.split("|")
    if not _VERSION.fullmatch(parts[0]) or len(parts) < 2 or not parts[1]:
        return None
    # A sheet from a newer sohoa, or one whose code does not read: it still cuts the stack, and staff see
    # why its pages made no document.
    size = {PREFIX: 5, PREFIX_KIND: 7}.get(parts[0])
    if size is None:
        reason = f"Tờ bìa phiên bản {parts[0]} chưa đọc được / cover sheet version {parts[0]} is not known"
        return CoverSheet(dossier_code=parts[1], refused=reason)
    malformed = CoverSheet(
        dossier_code=parts[1],
        refused="Mã QR của tờ bìa không đúng dạng / the cover sheet's QR code is malformed",
    )
    if len(parts) != size:
        return malformed
    _, code, procedure, owner, pages, *said = parts
    try:
        cover = CoverSheet(
            dossier_code=code,
            procedure_code=procedure,
            owner_id=owner or None,
            expected_pages=int(pages) if pages else None,
        )
    except ValueError:
        return malformed
    return _with_kind(cover, *said) if said else cover


def _with_kind(cover: CoverSheet, kind: str, slug: str) -> CoverSheet:
    """The sheet with the kind and type its QR code names, or refused, saying why."""
    if kind not in {k.value for k in DocumentKind}:
        reason = f"Tờ bìa ghi loại giấy tờ không rõ “{kind[:30]}” / the cover sheet names an unknown kind"
        return cover.model_copy(update={"refused": reason})
    if slug and not (len(slug) <= 60 and re.fullmatch(DOC_TYPE_SLUG, slug)):
        reason = f"Tờ bìa ghi loại văn bản không hợp lệ “{slug[:30]}” / the cover sheet names a bad type"
        return cover.model_copy(update={"refused": reason})
    return cover.model_copy(update={"kind": DocumentKind(kind), "doc_type": slug or None})


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONTS / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf")), size)


def cover_sheet_image(cover: CoverSheet, *, procedure_name: str = "", owner_name: str = "") -> Image.Image:
    page = Image.new("L", _A4, 255)
    draw = ImageDraw.Draw(page)
    width = _A4[0]
    y = 110
    for text, bold, size in (
        ("TỜ BÌA HỒ SƠ", True, 56),
        ("Đặt tờ này lên trên các giấy tờ của hồ sơ khi quét", False, 26),
    ):
        font = _font(bold, size)
        draw.text(((width - draw.textlength(text, font=font)) / 2, y), text, font=font, fill=0)
        y += size + 30
    qr = segno.make(payload(cover), error="m", micro=False)
    buf = io.BytesIO()
    # About 60 mm, in whole pixels a module: a code resampled to 60 mm exactly had modules of 8 and 9
    # pixels side by side, and one result sheet in five could not be read back even unprinted.
    modules = qr.symbol_size(scale=1, border=4)[0]
    qr.save(buf, kind="png", scale=max(1, round(60 / 25.4 * _DPI / modules)), border=4)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    side = code.width
    page.paste(code, ((width - side) // 2, y + 20))
    y += side + 80
    rows = [
        ("Mã hồ sơ", cover.dossier_code),
        ("Thủ tục", f"{cover.procedure_code} {procedure_name}".strip()),
        (
            "Chủ hồ sơ",
            f"{owner_name} ({cover.owner_id})" if owner_name and cover.owner_id else cover.owner_id or "",
        ),
        ("Số trang", "" if cover.expected_pages is None else str(cover.expected_pages)),
    ]
    if cover.kind is not DocumentKind.COMPONENT or cover.doc_type:
        known = doc_type(cover.doc_type)
        named = known.name if known else cover.doc_type or ""
        kind = "Kết quả giải quyết" if cover.kind is DocumentKind.RESULT else "Thành phần hồ sơ"
        rows.append(("Giấy tờ", f"{kind}: {named}".rstrip(": ")))
    label_font, value_font = _font(True, 30), _font(False, 30)
    for label, value in rows:
        draw.text((150, y), f"{label}:", font=label_font, fill=0)
        draw.text((430, y), value, font=value_font, fill=0)
        y += 56
    return page


def cover_sheet_pdf(cover: CoverSheet, out: Path, *, procedure_name: str = "", owner_name: str = "") -> Path:
    """An A4 cover sheet to print for the dossier."""
    buf = io.BytesIO()
    cover_sheet_image(cover, procedure_name=procedure_name, owner_name=owner_name).save(
        buf, "PNG", dpi=(_DPI, _DPI)
    )
    out.write_bytes(
        img2pdf.convert(buf.getvalue(), layout_fun=img2pdf.get_fixed_dpi_layout_fun((_DPI, _DPI)))
    )
    return out


def read_cover(image: np.ndarray) -> CoverSheet | None:
    """The cover sheet this page is, or None when it is not one (any orientation)."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = _READ_LONG_SIDE / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # Two of OpenCV's detectors, each reading codes the other misses: the classic one missed 40 of 186 sheets
    # printed with a resampled code (above), the ArUco-based one a cover sheet of the batch tests scanned
    # at 300 dpi and saved as JPEG. A page that is no cover costs both: 17 and 7 ms.
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _, _ = detector.detectAndDecode(gray)
        if text:
            return parse_payload(text)
    return None
