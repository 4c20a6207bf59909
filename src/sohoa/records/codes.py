"""The codes sohoa issues, from configurable patterns (the formats changed in 2018, 2021 and 2025).

- dossier code (mã hồ sơ): receiving agency code + receipt date + daily sequence,
  ``000.00.11.H29-250912-0007`` with the default pattern ``{agency}-{date:%y%m%d}-{seq:04d}``;
- digitization result code (mã kết quả số hóa): document-type code + owner identification code,
  ``KS.001203012345`` with the default pattern ``{type_code}.{owner_id}``; when the owner already has one
  of that type, ``.2``, ``.3`` … keep it unique.

Pure functions: uniqueness is the caller's job (a create-if-absent write in storage), not this module's.
"""

from __future__ import annotations

import re
import string
from datetime import date

from sohoa.errors import InvalidValue

DEFAULT_DOSSIER_PATTERN = "{agency}-{date:%y%m%d}-{seq:04d}"
DEFAULT_RESULT_CODE_PATTERN = "{type_code}.{owner_id}"
_AGENCY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.]{0,39}")
_PATTERN_FIELDS = {"dossier": {"agency", "date", "seq"}, "result": {"type_code", "owner_id"}}


class InvalidPattern(InvalidValue):
    """A configured code pattern that cannot make unique codes."""


def check_pattern(pattern: str, kind: str) -> str:
    """Refuse a pattern naming fields it cannot have, or missing the sequence (codes must be unique)."""
    names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    allowed = _PATTERN_FIELDS[kind]
    if not names <= allowed:
        unknown = sorted(names - allowed)
        raise InvalidPattern(
            f"Mẫu mã {pattern!r} dùng trường không có: {unknown}",
            f"pattern {pattern!r} uses unknown fields {unknown}",
        )
    required = {"seq"} if kind == "dossier" else {"owner_id"}
    if not required <= names:
        raise InvalidPattern(
            f"Mẫu mã {pattern!r} phải có {sorted(required)}",
            f"pattern {pattern!r} must contain {sorted(required)}",
        )
    return pattern


def check_agency(agency: str) -> str:
    if not _AGENCY_RE.fullmatch(agency):
        raise InvalidValue(
            f"Mã cơ quan không hợp lệ: {agency!r}",
            "an agency code is letters, digits and dots (000.00.11.H29)",
        )
    return agency


def dossier_code(agency: str, day: date, seq: int, pattern: str = DEFAULT_DOSSIER_PATTERN) -> str:
    return pattern.format(agency=check_agency(agency), date=day, seq=seq)


def dossier_code_prefix(agency: str, day: date, pattern: str = DEFAULT_DOSSIER_PATTERN) -> str:
    """The part of the code before the sequence: codes of one agency and day share it."""
    head = pattern.split("{seq", 1)[0]
    return head.format(agency=check_agency(agency), date=day)


def result_code(type_code: str, owner_id: str, n: int = 1, pattern: str = DEFAULT_RESULT_CODE_PATTERN) -> str:
    base = pattern.format(type_code=type_code, owner_id=owner_id)
    return base if n == 1 else f"{base}.{n}"
