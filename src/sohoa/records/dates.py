"""Dates as Vietnamese papers print them (``ngày 12 tháng 9 năm 2025``, ``12/9/2025``, ``12-09-2025``) and
as the API takes them (ISO ``2025-09-12``), and terms counted in years or months ("thời hạn 5 năm")."""

from __future__ import annotations

import calendar
import re
from datetime import date

from sohoa.errors import InvalidValue

# One pattern for the printed forms, with named groups, so OCR extraction can find a date inside a line.
DATE_PATTERN = (
    r"(?:ngày\s+)?(?P<d1>\d{1,2})\s+tháng\s+(?P<m1>\d{1,2})\s+năm\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})\s*[/.-]\s*(?P<m2>\d{1,2})\s*[/.-]\s*(?P<y2>\d{4})"
)
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_PRINTED_RE = re.compile(rf"^(?:{DATE_PATTERN})$", re.IGNORECASE)


class InvalidDate(InvalidValue):
    """Text that is not a date; the message says why, in Vietnamese and English."""


def date_of_match(match: re.Match[str]) -> date | None:
    """The date a match of DATE_PATTERN names; None when it names no real day (31 tháng 2)."""
    day, month, year = (match["d1"], match["m1"], match["y1"])
    if day is None:
        day, month, year = (match["d2"], match["m2"], match["y2"])
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(raw: str) -> date:
    """A date typed or printed in any of the Vietnamese forms, or ISO."""
    text = " ".join(raw.split()).strip(" .,")
    iso = _ISO_RE.match(text)
    found: date | None = None
    if iso:
        try:
            found = date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            found = None
    elif printed := _PRINTED_RE.match(text):
        found = date_of_match(printed)
    if found is None:
        raise InvalidDate(
            f"Ngày không hợp lệ: {raw!r} (dạng 12/9/2025 hoặc 2025-09-12)",
            f"not a date: {raw!r} (use 12/9/2025 or 2025-09-12)",
        )
    return found


def add_term(start: date, count: int, unit: str) -> date:
    """The last day of a term of `count` years or months from `start`.

    Civil Code 2015 art. 147-148: the first day is not counted, and a term in months or years ends on the
    corresponding day of its last month or year (the month's last day when that day does not exist, as for
    29 February). So "5 năm kể từ ngày 12/9/2025" ends on 12/9/2030.
    """
    months = count * 12 if unit == "năm" else count
    total = start.year * 12 + start.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
