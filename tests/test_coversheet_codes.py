"""Cover sheets read back whatever their dossier code: every sheet of a month of codes, of both kinds, is
read from the page as made, and a sheet printed before its code was drawn in whole pixels a module (the
code resampled to 60 mm: 40 of 186 such sheets were missed) is read too."""

from __future__ import annotations

import io

import numpy as np
import segno
from PIL import Image

from sohoa.records.models import DocumentKind
from sohoa.scanners.coversheet import CoverSheet, cover_sheet_image, payload, read_cover


def _covers() -> list[CoverSheet]:
    return [
        CoverSheet(
            dossier_code=f"000.00.11.H29-2612{day:02d}-{seq:04d}",
            procedure_code="1.004227",
            owner_id="001203012345",
            expected_pages=2,
            kind=kind,
            doc_type=doc_type,
        )
        for day in range(1, 32)
        for seq in (1, 2, 17)
        for kind, doc_type in ((DocumentKind.RESULT, "giay-phep"), (DocumentKind.COMPONENT, None))
    ]


def test_every_cover_sheet_of_a_month_reads_back() -> None:
    covers = _covers()
    missed = [c.dossier_code for c in covers if read_cover(np.asarray(cover_sheet_image(c))) != c]
    assert missed == []


def test_a_sheet_with_its_code_resampled_to_60_mm_is_read() -> None:
    # What the sheets printed until now carry: the code drawn 10 px a module, then resized to 354 px.
    cover = CoverSheet(
        dossier_code="000.00.11.H29-261203-0001",
        procedure_code="1.004227",
        owner_id="001203012345",
        expected_pages=2,
        kind=DocumentKind.RESULT,
        doc_type="giay-phep",
    )
    buf = io.BytesIO()
    segno.make(payload(cover), error="m", micro=False).save(buf, kind="png", scale=10, border=4)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("L").resize((354, 354), Image.NEAREST)
    page = cover_sheet_image(cover)
    page.paste(255, (400, 260, 840, 660))  # today's code away, the old one where it was printed
    page.paste(code, ((page.width - 354) // 2, 272))
    assert read_cover(np.asarray(page)) == cover
