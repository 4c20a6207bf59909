"""The searchable PDF's invisible text layer, written from the page's final words.

Tesseract can write a text-only PDF in the same run that reads the page, but that layer holds its own
reading: a word the syllable correction mended (ocr.rescore), a word found under a seal (ocr.unread) or a
glyph cleaned up (ocr.glyphs) was in the words, the index and the page text, and not in the PDF a citizen
downloads and searches with Ctrl-F. Here the layer is made from the words the page keeps, so all four say
the same, and Tesseract is spared the PDF writer (about 4% of its time on the real scans).

The layer is laid out the way Tesseract's own is, so viewers treat it the same: text render mode 3
(invisible), Tesseract's one-glyph "GlyphLessFont" (pdf.ttf from its tessdata) as a Type0 font whose
character codes are the UTF-16 code units and map to themselves in the ToUnicode CMap, every code drawn
with the one glyph, half an em wide, from the baseline to one em above. Each word is stretched across its
box (Tz) on its line's baseline, with the line's usual word height as the font size, so a selection covers
the printed word and extracted text keeps one line per OCR line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from statistics import median

import pikepdf

from sohoa.ocr.errors import OcrError
from sohoa.ocr.tesseract import tessdata_dir
from sohoa.records.models import Word

_FONT = "/F1"  # the layer's one font, by its name in the page's resources
_GLYPH_WIDTH = 0.5  # of the font size: the glyph's advance (DW 500)
_GAP = 0.25  # of the font size: the least room left between a word's glyphs and the next word's
_REPLACEMENT = "\ufffd"
# The identity CMap from character codes (UTF-16 code units) to Unicode: a standard ToUnicode form.
_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


@lru_cache(maxsize=1)
def _font_program() -> bytes:
    path = tessdata_dir() / "pdf.ttf"
    try:
        return path.read_bytes()
    except OSError as exc:
        raise OcrError(
            "Thiếu phông chữ ẩn của Tesseract (pdf.ttf)", f"Tesseract's glyphless font is missing: {path}"
        ) from exc


def _font(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    font_file = _font_program()
    program = pdf.make_stream(font_file)
    program.Length1 = len(font_file)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name.GlyphLessFont,
        Flags=5,
        FontBBox=[0, 0, 500, 1000],
        ItalicAngle=0,
        Ascent=1000,
        Descent=-1,
        CapHeight=1000,
        StemV=80,
        FontFile2=program,
    )
    cid_font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name.GlyphLessFont,
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=descriptor,
        DW=int(_GLYPH_WIDTH * 1000),
        # Every code is drawn with glyph 1, the font's one glyph, as in Tesseract's own layer: the codes
        # are UTF-16 units, not glyph numbers.
        CIDToGIDMap=pdf.make_stream(b"\x00\x01" * 65536),
    )
    return pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name.GlyphLessFont,
        Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[cid_font],
        ToUnicode=pdf.make_stream(_TO_UNICODE),
    )


def _codes(text: str) -> str:
    """The text as the font's character codes, hex: one UTF-16 code unit a character. A character past
    the Basic Multilingual Plane (none in Vietnamese print; some Hán-Nôm) becomes U+FFFD, because a
    surrogate pair would be read back as two broken characters."""
    return "".join(f"{ord(c):04X}" if ord(c) <= 0xFFFF else f"{ord(_REPLACEMENT):04X}" for c in text)


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _stretch(width: float, chars: int, size: float) -> float:
    """Tz, in percent, that makes `chars` glyphs at `size` span `width` points."""
    return 100 * width / (chars * size * _GLYPH_WIDTH)


def content(words: Sequence[Word], height_px: int, dpi: int) -> bytes:
    """The page's content stream: each OCR line on its baseline, each word stretched over its box."""
    pt = 72 / dpi
    ops: list[str] = []
    for _, group in groupby(words, key=lambda w: w.line):
        line = [w for w in group if w.text and w.width > 0 and w.height > 0]
        if not line:
            continue
        # The line's usual word: a word's box grows with its marks, descenders and a seal's stray ink.
        size_px = median(w.height for w in line)
        size = size_px * pt
        baseline = (height_px - median(w.top + w.height for w in line)) * pt
        ops.append(f"BT 3 Tr {_FONT} {_n(size)} Tf")
        for w, after in zip(line, [*line[1:], None], strict=True):
            span = w.width
            if after is not None:
                # Text extraction splits words by the gap between glyphs, not at the space character (poppler
                # wants a tenth of the font size): a word runs a little short rather than touch the next.
                span = min(span, max(after.left - w.left - _GAP * size_px, span / 2))
            ops.append(f"1 0 0 1 {_n(w.left * pt)} {_n(baseline)} Tm")
            ops.append(f"{_n(_stretch(span * pt, len(w.text), size))} Tz <{_codes(w.text)}> Tj")
            if after is not None:
                # A space across the gap: extracted text keeps the words apart.
                gap = max(after.left - w.left - span, 1) * pt
                ops.append(f"{_n(_stretch(gap, 1, size))} Tz <0020> Tj")
        ops.append("ET")
    return "\n".join(ops).encode("ascii")


def text_layer_pdf(words: Sequence[Word], width_px: int, height_px: int, dpi: int) -> bytes:
    """A one-page PDF the size of the page (`width_px` × `height_px` at `dpi`) holding only `words`, in
    reading order with their line numbers, as invisible text over where each was read."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(width_px * 72 / dpi, height_px * 72 / dpi))
    stream = content(words, height_px, dpi)
    if stream:
        page = pdf.pages[0]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary({_FONT: _font(pdf)}))
        page.Contents = pdf.make_stream(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()
