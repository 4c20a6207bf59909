"""Validity, signer and signing date, read from the OCR of a paper with the page and box each came from.

Permits and certificates say how long they hold: "có giá trị đến (hết) ngày …", "có hiệu lực (thi hành)
kể từ ngày …" (or "kể từ ngày ký": from the signing date), "thời hạn N năm (kể từ ngày …)". The signer is
the name under the signature block at the foot of the last page, right column, below a title such as
"CHỦ TỊCH" or "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC". Decree 30/2020 (art. 10 and appendix I) makes the date in the
heading the date the document was signed, so the signing date is the heading's date, with its box.

Like every extracted field these are suggestions until an officer confirms them.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

from sohoa.ocr.wordlines import Line, field_at, is_upper, joined, make_line
from sohoa.records.dates import DATE_PATTERN, add_term, date_of_match
from sohoa.records.models import ExtractedField, FieldName

_FROM_SIGNING = r"(?P<signing>ký(?:\s+ban\s+hành)?\b)"
_UNTIL_RE = re.compile(
    # "có giá trị đến ngày …", "có hiệu lực từ ngày … đến hết ngày …": the end of the phrase is the day
    rf"(?:giá\s+trị|hiệu\s+lực)[^;]{{0,60}}?\s(?:đến|tới)\s+(?:hết\s+)?(?:ngày\s+)?(?:{DATE_PATTERN})",
    re.IGNORECASE,
)
_FROM_RE = re.compile(
    rf"(?:hiệu\s+lực|giá\s+trị)(?:\s+thi\s+hành)?\s+(?:kể\s+)?từ\s+(?:ngày\s+)?(?:{_FROM_SIGNING}|{DATE_PATTERN})",
    re.IGNORECASE,
)
# "trong thời hạn 30 ngày" is a deadline to act, not how long the paper holds: left out.
_TERM_RE = re.compile(
    r"(?<!trong )thời\s+hạn\D{0,30}?(?P<count>\d{1,3})\s+(?P<unit>năm|tháng)\b"
    rf"(?:\s+kể\s+từ\s+(?:ngày\s+)?(?:{_FROM_SIGNING}|{DATE_PATTERN}))?",
    re.IGNORECASE,
)
# What stands above the signer's name: the authority (thẩm quyền ký) and the title.
_AUTHORITY = ("KT.", "TM.", "TL.", "TUQ.", "Q.")
_TITLES = (
    "CHỦ TỊCH",
    "GIÁM ĐỐC",
    "TRƯỞNG",
    "CHÁNH",
    "ỦY VIÊN",
    "BÍ THƯ",
    "TỔNG",
    "CÔNG CHỨNG VIÊN",
    "HỘ TỊCH",
)
_NAME_LOOKAHEAD = 8  # lines below the title where the name may be (signature and seal in between)


def page_validity(lines: list[Line], issued: ExtractedField | None) -> list[ExtractedField]:
    """Validity read from one page's lines, given the issue date read from the heading (the signing
    date, Decree 30/2020): pages are read one at a time, none needs another's lines."""
    signed = date.fromisoformat(issued.value) if issued else None
    # A phrase may wrap onto the next line: each line is read together with the one after it, and a match
    # found twice is kept once by the caller.
    windows = [joined(a, b) for a, b in itertools.pairwise(lines)] + lines[-1:]
    return [f for window in windows for f in _validity_in(window, signed, issued)]


def signer_fields(lines: list[Line], width: int, issued: ExtractedField | None) -> list[ExtractedField]:
    """The signer, from the lines of the last page (with its width in pixels), and the signing date."""
    signer = _signer(lines, width)
    if signer is None:
        return []
    return [signer] + ([issued.model_copy(update={"name": FieldName.SIGNED_ON})] if issued else [])


def _validity_in(line: Line, signed: date | None, issued: ExtractedField | None) -> list[ExtractedField]:
    out: list[ExtractedField] = []
    starts: list[date] = []
    for m in _FROM_RE.finditer(line.text):
        day = signed if m["signing"] else date_of_match(m)
        if day is not None:
            starts.append(day)
            out.append(field_at(FieldName.VALID_FROM, day.isoformat(), line, m.start(), m.end()))
    for m in _UNTIL_RE.finditer(line.text):
        day = date_of_match(m)
        if day is not None:
            out.append(field_at(FieldName.VALID_UNTIL, day.isoformat(), line, m.start(), m.end()))
    for m in _TERM_RE.finditer(line.text):
        # A term has no end printed: valid_until is computed (records.dates.add_term) from the day it
        # counts from: the date given, the signing date for "kể từ ngày ký", else the start of validity
        # stated in the same sentence, else the signing date (the usual reading of a bare "thời hạn").
        if m["signing"]:
            start = signed
        elif m["d1"] or m["d2"]:
            start = date_of_match(m)
        else:
            start = starts[0] if starts else signed
        if start is None:
            continue
        end = add_term(start, int(m["count"]), m["unit"].lower())
        out.append(field_at(FieldName.VALID_UNTIL, end.isoformat(), line, m.start(), m.end()))
    return out


def _is_title(text: str) -> bool:
    upper = text.upper()
    return is_upper(text) and (upper.startswith(_AUTHORITY) or any(t in upper for t in _TITLES))


def _is_name(text: str) -> bool:
    tokens = [t.strip(".,") for t in text.split()]
    return (
        2 <= len(tokens) <= 5
        and all(t.isalpha() and t[0].isupper() for t in tokens)
        and not any(t in text.upper() for t in _TITLES)
    )


def _signer(lines: list[Line], width: int) -> ExtractedField | None:
    """The name under the last title of the right column of the page (the signature block)."""
    right = [
        make_line(line.page, [w for w in line.words if w.left + w.width / 2 > width / 2]) for line in lines
    ]
    titles = [i for i, line in enumerate(right) if line.words and _is_title(line.text)]
    if not titles:
        return None
    for line in right[titles[-1] + 1 : titles[-1] + 1 + _NAME_LOOKAHEAD]:
        if line.words and _is_name(line.text):
            return field_at(FieldName.SIGNER, line.text.strip(" .,"), line)
    return None
