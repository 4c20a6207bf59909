"""Validators for the identifiers found on Vietnamese papers.

- personal ID (số định danh cá nhân, CCCD): 12 digits = 3-digit province code, a century/gender digit,
  2-digit birth year, 6 serial digits; no check digit. Also the personal tax code since July 2025.
- legacy ID card (CMND): 9 digits, accepted as a historical ID only.
- enterprise tax code (MST): 10 digits, the 10th a mod-11 check digit; branches add ``-001`` … ``-999``.
- number and symbol (số, ký hiệu) of an administrative document: ``123/QĐ-UBND``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sohoa.errors import InvalidValue


class InvalidIdentifier(InvalidValue):
    """An identifier that does not follow its format; the message says why, in Vietnamese and English."""


class IdKind(StrEnum):
    PERSONAL = "personal"  # 12-digit CCCD / personal ID
    LEGACY_PERSONAL = "legacy_personal"  # 9-digit CMND
    TAX = "tax"  # enterprise tax code, with optional branch suffix


@dataclass(frozen=True, slots=True)
class OwnerId:
    value: str
    kind: IdKind
    birth_year: int | None = None
    female: bool | None = None
    province_code: str | None = None


# Province codes of the personal ID run 001..096 (Circular 59/2021/TT-BCA, with gaps).
_MAX_PROVINCE_CODE = 96
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def _digits_only(raw: str) -> str:
    return re.sub(r"[\s.]", "", raw)


def validate_personal_id(raw: str, *, today: date | None = None) -> OwnerId:
    """Check a 12-digit personal ID (or a 9-digit legacy CMND) and decode what it carries."""
    value = _digits_only(raw)
    if re.fullmatch(r"\d{9}", value):
        return OwnerId(value, IdKind.LEGACY_PERSONAL)
    if not re.fullmatch(r"\d{12}", value):
        raise InvalidIdentifier(
            f"Số định danh cá nhân phải có 12 chữ số (hoặc CMND cũ 9 chữ số): {raw!r}",
            "a personal ID has 12 digits (or 9 for a legacy ID card)",
        )
    province = value[:3]
    if not 1 <= int(province) <= _MAX_PROVINCE_CODE:
        raise InvalidIdentifier(
            f"Mã tỉnh {province} không hợp lệ trong số định danh {value}", f"unknown province code {province}"
        )
    century_gender = int(value[3])
    century = 1900 + 100 * (century_gender // 2)
    year = century + int(value[4:6])
    today = today or date.today()
    # Digits 8-9 code the 2300s; nobody alive was born after today either.
    if century_gender > 7 or year > today.year or year < today.year - 130:
        raise InvalidIdentifier(
            f"Năm sinh {year} suy ra từ số định danh {value} không hợp lý", f"implausible birth year {year}"
        )
    return OwnerId(
        value, IdKind.PERSONAL, birth_year=year, female=bool(century_gender % 2), province_code=province
    )


def mst_check_digit(first_nine: str) -> int:
    """The check digit of an enterprise tax code: 10 − (Σ wᵢ·dᵢ mod 11).

    A result of 10 never occurs in issued codes, so it never equals a digit and the code is refused.
    """
    total = sum(w * int(d) for w, d in zip(_MST_WEIGHTS, first_nine, strict=True))
    return 10 - total % 11


def validate_tax_code(raw: str) -> OwnerId:
    """Check an enterprise tax code ``0100109106`` or a branch ``0100109106-001``."""
    value = re.sub(r"\s", "", raw)
    match = re.fullmatch(r"(\d{10})(?:-(\d{3}))?", value)
    if not match:
        raise InvalidIdentifier(
            f"Mã số thuế phải có 10 chữ số, chi nhánh thêm -001…-999: {raw!r}",
            "a tax code has 10 digits, branches add -001…-999",
        )
    main, branch = match.groups()
    if branch == "000":
        raise InvalidIdentifier(
            f"Mã chi nhánh -000 không hợp lệ: {value}", "branch suffix -000 is not issued"
        )
    if mst_check_digit(main[:9]) != int(main[9]):
        raise InvalidIdentifier(
            f"Chữ số kiểm tra của mã số thuế {main} sai", f"wrong check digit in tax code {main}"
        )
    return OwnerId(value, IdKind.TAX)


def validate_owner_id(raw: str) -> OwnerId:
    """An owner is a person (personal or legacy ID) or an organization (tax code); tell which by the shape."""
    value = re.sub(r"\s", "", raw)
    if re.fullmatch(r"\d{10}(-\d{3})?", value):
        return validate_tax_code(value)
    return validate_personal_id(value)


@dataclass(frozen=True, slots=True)
class NumberSymbol:
    """``123/QĐ-UBND``: the number, the document type abbreviation and the issuer abbreviation(s)."""

    number: str
    doc_type: str
    issuer: str

    def __str__(self) -> str:
        return (
            f"{self.number}/{self.doc_type}-{self.issuer}"
            if self.issuer
            else f"{self.number}/{self.doc_type}"
        )


# Letters used in symbols: Vietnamese capitals (Đ above all) and the odd lowercase inside (QyĐ, HĐND).
_SYMBOL_PART = r"[A-ZĐ][A-Za-zĐđ]*"
_NUMBER_SYMBOL_RE = re.compile(
    rf"^(?P<number>\d{{1,6}}[a-z]?)/(?:(?P<year>\d{{4}})/)?(?P<type>{_SYMBOL_PART})(?:-(?P<issuer>{_SYMBOL_PART}(?:-{_SYMBOL_PART})*))?$"
)


def parse_number_symbol(raw: str) -> NumberSymbol:
    """Parse a number and symbol such as ``123/QĐ-UBND``, ``05/2023/TT-BTC`` or ``12/GP-SXD``."""
    value = unicodedata.normalize("NFC", re.sub(r"\s*([/-])\s*", r"\1", raw.strip()))
    match = _NUMBER_SYMBOL_RE.match(value)
    if not match:
        raise InvalidIdentifier(
            f"Số, ký hiệu văn bản không đúng dạng 123/QĐ-UBND: {raw!r}",
            "a number and symbol looks like 123/QĐ-UBND",
        )
    number = match["number"]
    if int(re.sub(r"\D", "", number)) == 0:
        raise InvalidIdentifier(f"Số văn bản không thể là 0: {raw!r}", "document number cannot be zero")
    doc_type = match["type"]
    if match["year"]:
        doc_type = f"{match['year']}/{doc_type}"
    return NumberSymbol(number=number, doc_type=doc_type, issuer=match["issuer"] or "")
