"""An officer setting or correcting a document's facts after ingest: its validity (from, until), number and
symbol, issuer, type, title, signer, signing date, scope.

The changes are checked as a whole before anything is written (a refusal changes nothing); each change is
kept in the record (`Document.edits`, with the old and the new value) and returned so the caller can put it
on the audit trail. The manifest is rewritten and the index brought up to date by `update_document`, so the
search validity filter and the owner's list see the new dates at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sohoa.archive.lifecycle import update_document
from sohoa.errors import BadInput
from sohoa.records.basics import today
from sohoa.records.doctypes import DOC_TYPES, doc_type
from sohoa.records.identifiers import parse_number_symbol
from sohoa.records.models import Document, FactEdit, nfc
from sohoa.records.reuse import validity_on
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore

DATE_FIELDS = ("valid_from", "valid_until", "signed_on")
# Text fields and the longest value each takes.
TEXT_FIELDS = {"number_symbol": 60, "issuer": 300, "doc_type": 60, "title": 500, "signer": 200, "scope": 500}
# In the order a person reads them on the paper and in the history.
EDITABLE = (
    "valid_from", "valid_until", "number_symbol", "issuer", "doc_type", "title", "signer", "signed_on",
    "scope",
)  # fmt: skip

_LABELS = {
    "valid_from": ("Hiệu lực từ ngày", "valid from"),
    "valid_until": ("Hiệu lực đến ngày", "valid until"),
    "signed_on": ("Ngày ký", "signing date"),
    "number_symbol": ("Số, ký hiệu", "number and symbol"),
    "issuer": ("Cơ quan ban hành", "issuer"),
    "doc_type": ("Loại giấy tờ", "document type"),
    "title": ("Tiêu đề", "title"),
    "signer": ("Người ký", "signer"),
    "scope": ("Phạm vi", "scope"),
}
# A slug: lower-case words joined by hyphens. Letters of any script, so a type not in the list may be
# written in Vietnamese ("giấy-báo-tử"); result codes take its initials (records.doctypes.type_code).
_SLUG = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_VN_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_BY_NAME = {nfc(t.name).casefold(): t.slug for t in DOC_TYPES}


def _refuse(name: str, value: object, vi: str, en: str) -> BadInput:
    label_vi, label_en = _LABELS[name]
    shown = str(value)[:80]
    return BadInput(f"{label_vi}: {vi} ({shown})", f"{label_en}: {en} ({shown})")


def _parse_date(name: str, value: str) -> date:
    """YYYY-MM-DD, or the way Vietnamese papers write it: 12/9/2025, 12-09-2025."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    match = _VN_DATE.fullmatch(value)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        pass
    raise _refuse(
        name, value, "ngày không hợp lệ (dạng YYYY-MM-DD hoặc 12/9/2025)", "not a date (YYYY-MM-DD)"
    )


def _parse_doc_type(value: str) -> str:
    """Any slug is taken: the list in records.doctypes is what sohoa knows by name, not every paper a
    province handles (ingest takes other types too, and an officer must be able to correct those). A known
    type's Vietnamese name ("Quyết định") is taken for its slug."""
    if doc_type(value):
        return value
    by_name = _BY_NAME.get(value.casefold())
    if by_name:
        return by_name
    if not _SLUG.fullmatch(value) or value != value.lower():
        known = ", ".join(t.slug for t in DOC_TYPES[:4])
        raise _refuse(
            "doc_type",
            value,
            f"cần dạng chữ thường nối bằng gạch ngang, ví dụ {known}",
            f"must be a slug of lower-case words joined by hyphens, e.g. {known}",
        )
    return value


def _parse_one(name: str, raw: object) -> date | str | None:
    if raw is None:
        return None  # an explicit null clears the fact
    if not isinstance(raw, str):
        if name in DATE_FIELDS and isinstance(raw, date):
            return raw
        raise _refuse(name, raw, "cần một chuỗi hoặc null", "must be a string or null")
    value = nfc(raw.strip())
    if not value:
        return None  # an emptied form field clears it too
    if name in DATE_FIELDS:
        return _parse_date(name, value)
    limit = TEXT_FIELDS[name]
    if len(value) > limit:
        raise _refuse(name, value, f"dài quá {limit} ký tự", f"longer than {limit} characters")
    if name == "number_symbol":
        return str(parse_number_symbol(value))
    if name == "doc_type":
        return _parse_doc_type(value)
    return value


def parse_changes(raw: Mapping[str, Any]) -> dict[str, date | str | None]:
    """The requested changes, checked one by one: names, dates, number and symbol, type."""
    if not isinstance(raw, Mapping):
        raise BadInput(
            "Cần một đối tượng JSON các trường cần sửa", "expected a JSON object of fields to change"
        )
    unknown = sorted(str(k) for k in raw if k not in EDITABLE)
    if unknown:
        raise BadInput(
            f"Không sửa được trường: {', '.join(unknown)[:200]} (sửa được: {', '.join(EDITABLE)})",
            f"unknown field: {', '.join(unknown)[:200]} (editable: {', '.join(EDITABLE)})",
        )
    if not raw:
        raise BadInput("Chưa có gì để sửa", "nothing to change")
    return {name: _parse_one(name, value) for name, value in raw.items()}


def _text(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def apply_changes(document: Document, changes: Mapping[str, date | str | None], *, by: str) -> list[FactEdit]:
    """Put parsed changes on the document (unchanged values are skipped) and record them; refuse a validity
    that ends before it starts, judged on the facts as they will be."""
    after = {name: changes.get(name, getattr(document, name)) for name in ("valid_from", "valid_until")}
    start, end = after["valid_from"], after["valid_until"]
    if isinstance(start, date) and isinstance(end, date) and end < start:
        raise BadInput(
            f"Ngày hết hiệu lực ({end.isoformat()}) trước ngày có hiệu lực ({start.isoformat()})",
            f"valid until ({end.isoformat()}) is before valid from ({start.isoformat()})",
        )
    made = []
    for name in EDITABLE:  # a stable order, whatever order the request gave
        if name not in changes:
            continue
        old, new = _text(getattr(document, name)), _text(changes[name])
        if old == new:
            continue
        setattr(document, name, changes[name])
        made.append(FactEdit(field=name, old=old, new=new, by=by))
    document.edits.extend(made)
    return made


def edit_document(
    store: ObjectStore,
    index: SearchIndex,
    doc_id: str,
    raw: Mapping[str, Any],
    *,
    by: str,
    if_match: Collection[str] | None = None,
) -> tuple[Document, list[FactEdit]]:
    """Check and apply an officer's changes to a stored document; nothing is written when one is refused,
    nor when nothing changes. Applied to the record as stored when written (`update_document`), so an
    officer's change to one fact never undoes another's to another."""
    changes = parse_changes(raw)
    made: list[FactEdit] = []

    def change(document: Document) -> Document | None:
        nonlocal made
        made = apply_changes(document, changes, by=by)
        if not made:
            return None
        document.validity = validity_on(document, today())
        return document

    return update_document(store, index, doc_id, change, if_match=if_match), made


def audit_detail(made: list[FactEdit]) -> dict[str, str]:
    """The changes as the audit trail keeps them: `<field>.old` and `<field>.new` ("" for not set)."""
    detail: dict[str, str] = {}
    for edit in made:
        detail[f"{edit.field}.old"] = edit.old or ""
        detail[f"{edit.field}.new"] = edit.new or ""
    return detail
