"""The synthetic-scan generator: deterministic, NFC ground truth, the degradations it promises."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pikepdf
from PIL import Image

from sohoa.samples import Degradation, blank_back, make_batch, make_page, sample_texts, write_pdf, write_tiff


def test_same_seed_same_page() -> None:
    a = make_page(seed=4, size="A5", lines=4, degradation=Degradation(noise=5, skew_deg=1))
    b = make_page(seed=4, size="A5", lines=4, degradation=Degradation(noise=5, skew_deg=1))
    assert a.text == b.text
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert make_page(seed=5, size="A5", lines=4).text != a.text


def test_truth_is_nfc_with_the_header_and_the_lines() -> None:
    page = make_page(seed=1, size="A4", lines=10)
    lines = page.text.splitlines()
    assert unicodedata.is_normalized("NFC", page.text)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines
    assert any(line.startswith("Số: ") for line in lines)
    assert len(lines) == 7 + 10  # 6 header lines + title, then the body
    assert page.image.info["dpi"] == (300, 300)
    assert page.image.size == (2480, 3508)


def test_turn_swaps_width_and_height() -> None:
    page = make_page(seed=2, size="A5", lines=3, degradation=Degradation(turn=90))
    assert page.image.size == (2480, 1748)


def test_blank_back_has_no_ink_but_is_not_white() -> None:
    front = make_page(seed=3, size="A5", lines=6).image
    back = np.asarray(blank_back(size="A5", bleed_from=front, seed=3).convert("L"))
    assert back.mean() < 250
    assert np.count_nonzero(back < 120) < 0.0005 * back.size  # a few specks, no text


def test_batch_writes_files_and_truth(tmp_path: Path) -> None:
    truth = make_batch(tmp_path, pages=8, seed=3, size="A5", lines=4)
    assert json.loads((tmp_path / "truth.json").read_text(encoding="utf-8")) == truth
    assert len(truth) == 8
    assert truth[-1]["blank"] and truth[-1]["text"] == ""
    assert {t["turn"] for t in truth} >= {0, 90, 180, 270}
    for record in truth:
        with Image.open(tmp_path / record["file"]) as img:
            assert round(img.info["dpi"][0]) == 300


def test_pdf_and_tiff(tmp_path: Path) -> None:
    images = [make_page(seed=s, size="A5", lines=2).image for s in (1, 2, 3)]
    write_pdf(images, tmp_path / "s.pdf")
    with pikepdf.open(tmp_path / "s.pdf") as pdf:
        assert len(pdf.pages) == 3
        assert abs(float(pdf.pages[0].mediabox[2]) - 148 / 25.4 * 72) < 1.5
    write_tiff(images, tmp_path / "s.tif")
    with Image.open(tmp_path / "s.tif") as tif:
        assert tif.n_frames == 3


def test_sample_texts_are_prose() -> None:
    texts = sample_texts()
    assert texts
    assert all(len(t) >= 40 and unicodedata.is_normalized("NFC", t) for t in texts)
    assert not any("Liên kết website" in t or "Specified argument" in t for t in texts)
    assert any("hồ sơ" in t for t in texts)
