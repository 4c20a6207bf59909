"""Sign a PDF the way the rules place signatures on a digitized copy: PAdES baseline B-B (B-T when a
timestamp server is configured), in an incremental update so earlier signatures stay valid, with a visible
text box on page 1: the digitizer's top-left (name, role, time), the agency's top-right, no image in either.

The box text is set in a TrueType font with Vietnamese glyphs, embedded as a subset, so the signed copy
stays PDF/A-2b.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools import subset
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import TextStampStyle

from sohoa.records.basics import LOCAL_TZ
from sohoa.records.signatures import SignerRole
from sohoa.signatures.errors import SIGNING, translated

# Debian's fonts-noto-core (installed by `make`): it covers Vietnamese, and its 1000 units per em keep
# the widths pyHanko writes consistent with the font program (PDF/A-2b 6.2.11.5; with DejaVu's 2048 they
# are not, pyHanko 0.38 writes them unscaled).
FONT = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
# The box sits in the top margin (20-25 mm by Decree 30/2020 appendix I): 6 to 16 mm from the top edge, so it
# does not cover the copy's own heading. It has no background: a signature must never hide the copy.
_MARGIN = 17  # points from the page edges (6 mm)
_BOX = (190, 30)  # width, height in points

_TEXT = {
    SignerRole.DIGITIZER: "Người số hóa: %(name)s\nChức vụ: %(title)s\nThời gian ký: %(when)s",
    SignerRole.AGENCY: "%(name)s\nXác thực bản sao điện tử\nThời gian ký: %(when)s",
}
_REASON = {
    SignerRole.DIGITIZER: "Số hóa từ bản giấy",
    SignerRole.AGENCY: "Chứng thực bản sao điện tử từ bản chính",
}


@dataclass(frozen=True)
class SigningRequest:
    role: SignerRole
    name: str  # shown in the box: the person (digitizer) or the agency
    title: str = "Cán bộ số hóa"  # the digitizer's role as shown
    location: str = ""
    when: datetime = field(default_factory=lambda: datetime.now(LOCAL_TZ))
    tsa_url: str | None = None  # RFC 3161 timestamp server: B-T instead of B-B


# What the box can say: Latin, Vietnamese letters (precomposed and combining marks), digits, punctuation.
_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    *range(0x1A0, 0x1B1),
    *range(0x300, 0x324),
    *range(0x1EA0, 0x1EFA),
    *range(0x2010, 0x2031),
]


@lru_cache(maxsize=1)
def _box_font() -> str:
    """The font cut down once per process to what the box can say: pyHanko subsets the font again for each
    signature, and subsetting the whole Noto Sans took most of the signing time (about 0.3 s)."""
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the font's names and licence
    font = subset.load_font(str(FONT), options)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=_UNICODES)
    cutter.subset(font)
    fd, name = tempfile.mkstemp(prefix="sohoa-box-font-", suffix=".ttf")
    os.close(fd)
    subset.save_font(font, name, options)
    atexit.register(os.unlink, name)
    return name


def _box(page_width: float, page_height: float, role: SignerRole) -> tuple[int, int, int, int]:
    width = min(_BOX[0], page_width / 2 - 2 * _MARGIN)
    top = page_height - _MARGIN
    left = _MARGIN if role is SignerRole.DIGITIZER else page_width - _MARGIN - width
    return (round(left), round(top - _BOX[1]), round(left + width), round(top))


def _first_page_size(source: Path) -> tuple[float, float]:
    with pikepdf.open(source) as pdf:
        box = pdf.pages[0].mediabox
        return abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))


def sign_pdf(source: Path, out: Path, signer: Signer, request: SigningRequest) -> str:
    """Write `source` signed to `out`; returns the new signature field's name. Nothing is left at `out`
    when signing fails (the error translated by signatures.errors)."""
    try:
        with translated(SIGNING):
            return _sign(source, out, signer, request)
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def _sign(source: Path, out: Path, signer: Signer, request: SigningRequest) -> str:
    width, height = _first_page_size(source)
    when = request.when.astimezone(LOCAL_TZ).replace(microsecond=0)
    style = TextStampStyle(
        stamp_text=_TEXT[request.role],
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(_box_font()), font_size=6, leading=7),
        border_width=1,
        background=None,
    )
    with source.open("rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        name = f"sohoa-{request.role.value}-{len(writer.prev.embedded_signatures) + 1}"
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=_REASON[request.role],
            location=request.location or None,
            name=request.name,
        )
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=HTTPTimeStamper(request.tsa_url) if request.tsa_url else None,
            stamp_style=style,
            new_field_spec=fields.SigFieldSpec(name, on_page=0, box=_box(width, height, request.role)),
        )
        params = {"name": request.name, "title": request.title, "when": when.isoformat()}
        with out.open("wb") as output:
            pdf_signer.sign_pdf(writer, output=output, appearance_text_params=params)
    return name
