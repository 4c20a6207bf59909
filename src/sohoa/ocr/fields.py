"""Field extraction from the OCR of Vietnamese administrative documents (Decree 30/2020 layout).

Reads, with the page and the box each came from: number and symbol (``Số: 123/QĐ-UBND``), place and date of
issue (``Đồng Nai, ngày 12 tháng 9 năm 2025``), the issuing body (upper left block of the heading), the
document type (QUYẾT ĐỊNH, GIẤY PHÉP…), the summary line under it (trích yếu), personal IDs and tax codes;
validity, signer and signing date are read by `sohoa.ocr.validity`.
Works on the words and their boxes, not on the page text alone: the heading is two columns side by side,
and which column a word stands in is what tells the issuer from the national motto.

Every value is a suggestion until an officer confirms it; nothing here raises on odd text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from sohoa.ocr.validity import page_validity, signer_fields
from sohoa.ocr.wordlines import Line, box_around, field_at, is_upper, lines_of
from sohoa.records.doctypes import DOC_TYPES
from sohoa.records.identifiers import (
    InvalidIdentifier,
    parse_number_symbol,
    validate_personal_id,
    validate_tax_code,
)
from sohoa.records.models import Box, ExtractedField, FieldName, Word, nfc

_NUMBER_SYMBOL_RE = re.compile(
    r"\bS[ốô6o]\s*[:.;]?\s*"  # "Số:", as OCR may read it
    r"(\d{1,6}[a-z]?\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ][\wĐđ]*(?:\s*-\s*[A-ZĐ][\wĐđ]*)*)"
)
_DATE_RE = re.compile(r",?\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_PERSONAL_ID_RE = re.compile(r"(?<![\d-])\d{12}(?![\d-])")
_TAX_CODE_RE = re.compile(r"(?<![\d-])\d{10}(?:-\d{3})?(?![\d-])")
_MOTTO = ("CỘNG HÒA", "CỘNG HOÀ", "ĐỘC LẬP")
# The summary of a document begins "Về việc …" or "V/v …"; OCR sometimes misreads the "Về" of a bold line.
_SUMMARY_START_RE = re.compile(r"^V\S{0,2}\s+việc\b")


def extract_fields(pages: Iterable[tuple[int, Sequence[Word], int]]) -> list[ExtractedField]:
    """Fields found on the pages, given in page order as (page number, words in reading order, page width
    in pixels). The pages are taken one at a time and only the last one's lines are kept (the signer is at
    its foot), so pages given by a generator that reads each one's words as it comes are never all held."""
    found: list[ExtractedField] = []
    seen: set[tuple[FieldName, str]] = set()

    def add(f: ExtractedField) -> None:
        if (f.name, f.value) not in seen:
            seen.add((f.name, f.value))
            found.append(f)

    validity: list[ExtractedField] = []  # listed after every page's identifiers, as they always were
    issued: ExtractedField | None = None
    last: tuple[list[Line], int] | None = None
    for k, (number, words, width) in enumerate(pages):
        lines = lines_of(number, words)
        if k == 0:
            for f in _heading_fields(lines, width):
                add(f)
            issued = next((f for f in found if f.name is FieldName.ISSUE_DATE), None)
        for line in lines:
            for f in _id_fields(line):
                add(f)
        validity.extend(page_validity(lines, issued))
        last = lines, width
    if last is not None:
        validity.extend(signer_fields(*last, issued))
    for f in validity:
        add(f)
    return found


def _heading_fields(lines: list[Line], width: int) -> list[ExtractedField]:
    out: list[ExtractedField] = []
    head = lines[:12]
    number_at = None
    for i, line in enumerate(head):
        m = _NUMBER_SYMBOL_RE.search(line.text)
        if m:
            raw = re.sub(r"\s+", "", m.group(1))
            try:
                value = str(parse_number_symbol(raw))
            except InvalidIdentifier:
                continue
            out.append(field_at(FieldName.NUMBER_SYMBOL, value, line, m.start(1), m.end(1)))
            number_at = i
            break
    for line in head:
        m = _DATE_RE.search(line.text)
        if not m:
            continue
        day, month, year = (int(g) for g in m.groups())
        try:
            issued = date(year, month, day)
        except ValueError:
            continue
        out.append(field_at(FieldName.ISSUE_DATE, issued.isoformat(), line, m.start(), m.end()))
        before = line.text[: m.start()].split()
        place: list[str] = []
        for token in reversed(before):
            if not token[:1].isupper() or any(c in token for c in "/:-") or len(place) == 4:
                break
            place.insert(0, token)
        if place:
            start = line.text.rfind(" ".join(place), 0, m.start())
            out.append(field_at(FieldName.ISSUE_PLACE, " ".join(place), line, start, m.start()))
        break
    issuer = _issuer(head[: number_at if number_at is not None else 3], width)
    if issuer:
        out.append(issuer)
    for i, line in enumerate(head):
        text = line.text.strip(" .:")
        heading = next((t for t in DOC_TYPES if text.upper().startswith(t.heading)), None)
        if heading is None or not is_upper(text) or len(text.split()) > 10:
            continue
        out.append(field_at(FieldName.DOC_TYPE, text, line))
        if i + 1 < len(lines):
            nxt = lines[i + 1]
            summary = _SUMMARY_START_RE.sub("Về việc", nxt.text.strip())
            if summary.startswith(("Về", "V/v")):
                out.append(field_at(FieldName.SUMMARY, summary, nxt))
        break
    return out


def _issuer(lines: list[Line], width: int) -> ExtractedField | None:
    """The issuing body: the upper-case words of the heading's left column, above the number."""
    parts: list[str] = []
    boxes: list[Box] = []
    first: Line | None = None
    for line in lines:
        left = [w for w in line.words if w.left + w.width / 2 < width / 2]
        text = line.part(left)
        if not left or not is_upper(text) or text.upper().startswith(_MOTTO):
            continue
        parts.append(text)
        first = first or line
        boxes.append(line.box(0, len(text)))
    if not parts or first is None:
        return None
    return ExtractedField(
        name=FieldName.ISSUER, value=nfc(" ".join(parts)), page=first.page, box=box_around(boxes)
    )


def _id_fields(line: Line) -> list[ExtractedField]:
    out = []
    for m in _PERSONAL_ID_RE.finditer(line.text):
        try:
            validate_personal_id(m.group())
        except InvalidIdentifier:
            continue
        out.append(field_at(FieldName.PERSONAL_ID, m.group(), line, m.start(), m.end()))
    for m in _TAX_CODE_RE.finditer(line.text):
        try:
            validate_tax_code(m.group())
        except InvalidIdentifier:
            continue
        out.append(field_at(FieldName.TAX_CODE, m.group(), line, m.start(), m.end()))
    return out


def score(found: Iterable[ExtractedField], truth: dict[str, str]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of extracted fields against known ones; a field
    is right when its name and value both match the truth."""
    got = {(f.name.value, f.value) for f in found}
    want = set(truth.items())
    return len(got & want), len(got - want), len(want - got)
