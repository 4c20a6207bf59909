"""The kinds of paper sohoa knows by name: slug, Vietnamese name, the code used in result codes, and
the words that announce it at the top of a page (for field extraction)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sohoa.records.basics import nfc


@dataclass(frozen=True, slots=True)
class DocType:
    slug: str
    name: str
    code: str
    heading: str  # as printed, upper case: "GIẤY KHAI SINH"
    result: bool = False  # usually a result of a procedure rather than a component


DOC_TYPES: tuple[DocType, ...] = (
    DocType("giay-khai-sinh", "Giấy khai sinh", "KS", "GIẤY KHAI SINH", result=True),
    DocType("can-cuoc", "Thẻ căn cước", "CC", "CĂN CƯỚC"),
    DocType("quyet-dinh", "Quyết định", "QĐ", "QUYẾT ĐỊNH", result=True),
    DocType("giay-phep", "Giấy phép", "GP", "GIẤY PHÉP", result=True),
    DocType("giay-chung-nhan", "Giấy chứng nhận", "GCN", "GIẤY CHỨNG NHẬN", result=True),
    DocType("giay-xac-nhan", "Giấy xác nhận", "XN", "GIẤY XÁC NHẬN", result=True),
    DocType("don-de-nghi", "Đơn đề nghị", "ĐN", "ĐƠN ĐỀ NGHỊ"),
    DocType("to-khai", "Tờ khai", "TK", "TỜ KHAI"),
    DocType("cong-van", "Công văn", "CV", "CÔNG VĂN"),
    DocType("thong-bao", "Thông báo", "TB", "THÔNG BÁO", result=True),
)
_BY_SLUG = {t.slug: t for t in DOC_TYPES}


def doc_type(slug: str | None) -> DocType | None:
    return _BY_SLUG.get(slug or "")


def type_code(slug: str | None) -> str:
    """The code of a known type; an unknown one gives the initials of its words ("giay-bao-tu" → "GBT",
    "đơn xin" → "ĐX"), "KHAC" when it has no letters."""
    known = doc_type(slug)
    if known:
        return known.code
    initials = "".join(word[0] for word in re.split(r"[\W\d_]+", nfc(slug or "")) if word)
    return initials.upper()[:10] or "KHAC"


def slug_for(text: str) -> str:
    """The slug of a type as printed ("QUYẾT ĐỊNH về việc…"), named ("Quyết định") or given as a slug; a
    type not in the list gets its name without marks ("NGHỊ QUYẾT" → "nghi-quyet")."""
    value = " ".join(unicodedata.normalize("NFC", text).split())
    upper = value.upper()
    known = _BY_SLUG.get(value.lower()) or next((t for t in DOC_TYPES if upper.startswith(t.heading)), None)
    if known:
        return known.slug
    plain = "".join(
        c
        for c in unicodedata.normalize("NFD", value.lower().replace("đ", "d"))
        if not unicodedata.combining(c)
    )
    return "-".join(re.findall(r"[a-z0-9]+", plain))
