"""Validity, signer and signing date read from papers: Vietnamese dates and terms, word lists laid out as
OCR gives them, and a generated signed permit read by real Tesseract."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from signed_pages import signed_permit
from sohoa.ocr.fields import extract_fields
from sohoa.ocr.pipeline import process_page
from sohoa.records.dates import InvalidDate, add_term, parse_date
from sohoa.records.models import ExtractedField, FieldName, Word

WIDTH = 2400


@pytest.mark.parametrize(
    "raw", ["ngày 12 tháng 9 năm 2025", "12/9/2025", "12-09-2025", "2025-09-12", "12.09.2025"]
)
def test_dates_in_every_vietnamese_form(raw: str) -> None:
    assert parse_date(raw) == date(2025, 9, 12)


@pytest.mark.parametrize("raw", ["31/2/2025", "2025-13-01", "hôm qua", "", "12/9"])
def test_what_is_not_a_date_is_refused_in_both_languages(raw: str) -> None:
    with pytest.raises(InvalidDate, match=r"Ngày không hợp lệ.* / not a date"):
        parse_date(raw)


def test_a_term_ends_on_the_corresponding_day() -> None:
    assert add_term(date(2025, 9, 12), 5, "năm") == date(2030, 9, 12)
    assert add_term(date(2024, 2, 29), 1, "năm") == date(2025, 2, 28)  # no 29 February: the month's end
    assert add_term(date(2025, 8, 31), 6, "tháng") == date(2026, 2, 28)


def _words(rows: list[tuple[str, str]], top: int = 100) -> list[Word]:
    """Words of lines with a left and a right column, as OCR numbers them (one line per row)."""
    out = []
    for n, (left, right) in enumerate(rows):
        for text, x in ((left, 100), (right, WIDTH // 2 + 200)):
            for token in text.split():
                w = 20 * len(token)
                out.append(
                    Word(text=token, left=x, top=top + 60 * n, width=w, height=40, confidence=95, line=n)
                )
                x += w + 20
    return out


HEADING = [
    ("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("TỈNH ĐỒNG NAI", "Độc lập - Tự do - Hạnh phúc"),
    ("Số: 12/GP-UBND", "Đồng Nai, ngày 12 tháng 9 năm 2025"),
]


def _found(
    rows: list[tuple[str, str]], *more_pages: list[tuple[str, str]]
) -> dict[FieldName, list[ExtractedField]]:
    pages = [(1, _words(rows), WIDTH)] + [(n, _words(r), WIDTH) for n, r in enumerate(more_pages, 2)]
    out: dict[FieldName, list[ExtractedField]] = {}
    for f in extract_fields(pages):
        out.setdefault(f.name, []).append(f)
    return out


def _values(found: dict[FieldName, list[ExtractedField]], name: FieldName) -> list[str]:
    return [f.value for f in found.get(name, [])]


@pytest.mark.parametrize(
    ("line", "name", "value"),
    [
        ("Giấy phép có giá trị đến ngày 12 tháng 9 năm 2030.", FieldName.VALID_UNTIL, "2030-09-12"),
        ("Giấy phép này có giá trị đến hết ngày 31/12/2027.", FieldName.VALID_UNTIL, "2027-12-31"),
        ("Quyết định này có hiệu lực kể từ ngày 01-01-2026.", FieldName.VALID_FROM, "2026-01-01"),
        ("Quyết định có hiệu lực thi hành kể từ ngày ký.", FieldName.VALID_FROM, "2025-09-12"),
        ("Giấy chứng nhận có thời hạn 5 năm kể từ ngày 12-09-2025.", FieldName.VALID_UNTIL, "2030-09-12"),
        ("Thời hạn của giấy phép: 02 năm kể từ ngày ký.", FieldName.VALID_UNTIL, "2027-09-12"),
        ("Giấy phép có thời hạn 6 tháng.", FieldName.VALID_UNTIL, "2026-03-12"),  # from the signing date
    ],
)
def test_validity_printed_on_the_paper(line: str, name: FieldName, value: str) -> None:
    found = _found([*HEADING, ("GIẤY PHÉP", ""), (line, "")])
    assert _values(found, name) == [value]
    field = found[name][0]
    # The box is the phrase's: on the validity line (the sixth), not the heading's date.
    assert field.page == 1 and field.box is not None and field.box.top == 100 + 60 * 4


def test_a_range_gives_both_ends_and_a_wrapped_phrase_is_read_across_lines() -> None:
    found = _found([*HEADING, ("Có hiệu lực từ ngày 01/10/2025 đến ngày 30/9/2030.", "")])
    assert _values(found, FieldName.VALID_FROM) == ["2025-10-01"]
    assert _values(found, FieldName.VALID_UNTIL) == ["2030-09-30"]
    wrapped = _found([*HEADING, ("Giấy phép có giá trị đến ngày 12 tháng", ""), ("9 năm 2030.", "")])
    (until,) = wrapped[FieldName.VALID_UNTIL]
    assert until.value == "2030-09-12"
    assert until.box is not None and until.box.top == 100 + 60 * 3 and until.box.height > 60  # both lines


def test_deadlines_and_stray_numbers_are_not_validity() -> None:
    found = _found(
        [
            *HEADING,
            ("Trong thời hạn 12 tháng kể từ ngày nhận, đơn vị phải báo cáo.", ""),
            ("Hồ sơ có giá trị pháp lý. Ngày 31/2/2025 không tồn tại.", ""),
        ]
    )
    assert not {FieldName.VALID_FROM, FieldName.VALID_UNTIL, FieldName.SIGNER, FieldName.SIGNED_ON} & set(
        found
    )


SIGNATURE = [
    ("Nơi nhận:", "KT. CHỦ TỊCH"),
    ("- Như Điều 3;", "PHÓ CHỦ TỊCH"),
    ("- Lưu: VT.", "~ư/ ,ả"),  # the signature and the seal, as OCR reads ink
    ("", "Nguyễn Văn An"),
]


def test_signer_under_the_signature_block_of_the_last_page_and_signing_date_from_the_heading() -> None:
    found = _found(
        [*HEADING, ("QUYẾT ĐỊNH", ""), ("Điều 1. Cấp phép.", "")], [("Điều 3. Thi hành.", ""), *SIGNATURE]
    )
    (signer,) = found[FieldName.SIGNER]
    assert signer.value == "Nguyễn Văn An"
    assert signer.page == 2 and signer.box is not None
    assert signer.box.left > WIDTH // 2 and signer.box.top == 100 + 60 * 4
    (signed,) = found[FieldName.SIGNED_ON]
    assert signed.value == "2025-09-12"
    # Evidence: the heading's date, on page 1.
    assert signed.page == 1 and signed.box == found[FieldName.ISSUE_DATE][0].box


def test_no_signature_block_no_signer_nor_signing_date() -> None:
    found = _found(
        [*HEADING, ("ĐƠN ĐỀ NGHỊ", ""), ("Kính gửi: Ủy ban nhân dân", "")], [("Người làm đơn", "")]
    )
    assert FieldName.SIGNER not in found and FieldName.SIGNED_ON not in found


def test_a_signed_permit_read_by_tesseract() -> None:
    image, truth = signed_permit()
    out = process_page(np.asarray(image), dpi=300)
    words, width = out.analysis.words, out.analysis.width
    fields = extract_fields([(1, words, width)])
    got = {(f.name.value, f.value) for f in fields}
    for pair in truth.items():
        assert pair in got, (pair, sorted(got))
    ids = [f for f in fields if f.name is FieldName.PERSONAL_ID]
    assert len(ids) == 2  # both people on the permit
    by_name = {f.name: f for f in fields}
    for name, spelled in ((FieldName.VALID_UNTIL, "giá"), (FieldName.SIGNER, "Đức")):
        box = by_name[name].box
        assert box is not None
        inside = [
            w.text
            for w in words
            if box.left - 2 <= w.left and w.left + w.width <= box.left + box.width + 2
            and box.top - 2 <= w.top and w.top + w.height <= box.top + box.height + 2
        ]  # fmt: skip
        assert spelled in " ".join(inside), (name, inside)
    assert by_name[FieldName.SIGNER].box.left > width // 2  # right column
