"""The searchable PDF's text layer is written from the page's final words (ocr.textlayer): what the syllable
correction mended and what was found under a seal is what a PDF viewer finds, each word over the place it was
printed. Read back with poppler's pdftotext, as a viewer's search would."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from statistics import median

import pikepdf
import pytest

from conftest import validate_pdfa
from sohoa.ocr.pdf import build_searchable_pdf
from sohoa.ocr.pipeline import encode_page_image, process_page
from sohoa.ocr.rasterize import load_image
from sohoa.ocr.textlayer import text_layer_pdf
from sohoa.records.models import Word

DPI = 200
WIDTH, HEIGHT = 1654, 2339  # A4 at 200 dpi
REAL = Path(__file__).parent / "data" / "real_scans"


def _word(text: str, left: int, top: int, width: int, line: int, height: int = 40, **more: object) -> Word:
    return Word(text=text, left=left, top=top, width=width, height=height, confidence=90.0, line=line, **more)


def _text(pdf: Path) -> str:
    # -raw: in the order the layer was written (a page's two columns are not re-joined side by side).
    args = ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def _boxes(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    """(word, x0, y0, x1, y1) in points from the page's top left, as pdftotext places each word."""
    args = ["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"]
    html = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    return [(t, float(a), float(b), float(c), float(d)) for a, b, c, d, t in re.findall(pattern, html)]


def _layer(tmp_path: Path, words: list[Word]) -> Path:
    path = tmp_path / "layer.pdf"
    path.write_bytes(text_layer_pdf(words, WIDTH, HEIGHT, DPI))
    return path


def test_the_layer_holds_the_corrected_words_not_the_recognizer_reading(tmp_path: Path) -> None:
    words = [
        _word("thẩm", 100, 100, 150, 0, ocr_text="thâm", ocr_confidence=61.0),
        _word("quyền", 270, 100, 170, 0, ocr_text="quyên", ocr_confidence=58.0),
        _word("Ủy", 100, 200, 80, 1),
        _word("ban", 200, 200, 110, 1),
    ]
    text = _text(_layer(tmp_path, words))
    assert text.split("\n")[:2] == ["thẩm quyền", "Ủy ban"]
    assert "thâm" not in text and "quyên" not in text


def test_each_word_lies_over_its_box_on_the_page(tmp_path: Path) -> None:
    words = [
        _word("Quyết", 120, 300, 180, 0),
        _word("định", 340, 296, 150, 0, height=44),
        _word("số", 120, 400, 70, 1),
    ]
    boxes = _boxes(_layer(tmp_path, words))
    assert [b[0] for b in boxes] == ["Quyết", "định", "số"]
    pt = 72 / DPI
    for (_, x0, y0, x1, y1), w in zip(boxes, words, strict=True):
        assert x0 == pytest.approx(w.left * pt, abs=0.5)
        assert x1 == pytest.approx((w.left + w.width) * pt, abs=0.5)
        # A line's words share its baseline and size, those of its usual word.
        line = [v for v in words if v.line == w.line]
        bottom = median(v.top + v.height for v in line)
        assert y1 == pytest.approx(bottom * pt, abs=0.5)
        assert y0 == pytest.approx((bottom - median(v.height for v in line)) * pt, abs=0.5)


def test_words_a_hair_apart_are_read_back_apart(tmp_path: Path) -> None:
    # On the real scans Tesseract's boxes of "dự" and "toán" lie 6 pixels apart at 300 dpi, less than the gap
    # a PDF reader wants before it splits a word; the layer makes room.
    words = [_word("dự", 100, 100, 60, 0, height=54), _word("toán", 166, 100, 108, 0, height=54)]
    assert _text(_layer(tmp_path, words)).split() == ["dự", "toán"]
    (_, _, _, first_end, _), (_, second_start, _, _, _) = _boxes(_layer(tmp_path, words))
    assert second_start - first_end > 0.1 * 54 * 72 / DPI


def test_a_character_the_font_codes_cannot_carry_is_marked_not_mangled(tmp_path: Path) -> None:
    # A Hán-Nôm character past the Basic Multilingual Plane: two UTF-16 code units, which the layer's
    # one-unit codes would read back as two broken characters.
    text = _text(_layer(tmp_path, [_word("\U00020000a", 100, 100, 100, 0)]))
    assert text.strip() == "\ufffda"


def test_a_page_without_words_has_an_empty_layer_the_page_size(tmp_path: Path) -> None:
    with pikepdf.open(_layer(tmp_path, [])) as pdf:
        page = pdf.pages[0]
        assert page.obj.get("/Contents") is None or page.Contents.read_bytes() == b""
        assert "/Font" not in page.Resources
        assert [round(float(v), 2) for v in page.mediabox] == [0, 0, 595.44, 842.04]


def test_a_real_scan_searchable_pdf_says_what_its_words_say(tmp_path: Path) -> None:
    # A real letter with a seal over its signature block: the words the page keeps include corrected ones and
    # ones found under the seal, none of which Tesseract's own text layer held.
    image, dpi = load_image(REAL / "quangngai-2c9556ea-p2.jpg")
    out = process_page(image, dpi=dpi)
    words = out.analysis.words
    assert any(w.ocr_text is not None for w in words)
    (tmp_path / "p.jpg").write_bytes(encode_page_image(out.image))
    (tmp_path / "p.text.pdf").write_bytes(out.text_pdf)
    pdf = tmp_path / "doc.pdf"
    build_searchable_pdf([(tmp_path / "p.jpg", tmp_path / "p.text.pdf", dpi)], pdf)
    assert _text(pdf).split() == [w.text for w in words]
    assert validate_pdfa([pdf]) == {str(pdf): []}
