"""The reuse policy: a document's validity on a given day, and whether it may be reused, with the reasons.

A revoked or expired document stays in the archive and is shown with its status; it is never reusable.
The reasons are meant for the officer at the counter, so each says in words why (Vietnamese, English).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from sohoa.records.models import Document, DocumentKind, FieldName, ValidityStatus


class Reason(BaseModel):
    code: str
    vi: str
    en: str
    blocking: bool = True  # False: worth knowing, does not stop the reuse


class Reusability(BaseModel):
    doc_id: str
    validity: ValidityStatus
    reusable: bool
    reasons: list[Reason]


def validity_on(document: Document, day: date) -> ValidityStatus:
    if document.revocation is not None:
        return ValidityStatus.REVOKED
    if document.valid_until is not None and day > document.valid_until:
        return ValidityStatus.EXPIRED
    return ValidityStatus.VALID


def reusability(document: Document, day: date, owner_id: str | None = None) -> Reusability:
    status = validity_on(document, day)
    reasons: list[Reason] = []
    if document.revocation is not None:
        r = document.revocation
        reasons.append(
            Reason(
                code="revoked",
                vi=f"Đã bị thu hồi ngày {r.at.date().isoformat()}: {r.reason}",
                en=f"revoked on {r.at.date().isoformat()}: {r.reason}",
            )
        )
    elif status is ValidityStatus.EXPIRED:
        until = document.valid_until.isoformat() if document.valid_until else "?"
        reasons.append(
            Reason(code="expired", vi=f"Hết hiệu lực từ sau ngày {until}", en=f"expired after {until}")
        )
    if document.valid_from is not None and day < document.valid_from:
        since = document.valid_from.isoformat()
        reasons.append(
            Reason(code="not_yet_valid", vi=f"Chưa có hiệu lực (từ {since})", en=f"not valid before {since}")
        )
    if document.owner_id is None:
        reasons.append(
            Reason(code="no_owner", vi="Chưa xác định chủ sở hữu", en="the document has no owner ID")
        )
    elif owner_id is not None and document.owner_id != owner_id:
        reasons.append(
            Reason(code="other_owner", vi="Giấy tờ của người khác", en="the document belongs to someone else")
        )
    if not document.pages or all(p.blank for p in document.pages):
        reasons.append(Reason(code="no_pages", vi="Không có trang nội dung", en="no page with content"))
    if document.kind is DocumentKind.RESULT:
        confirmed = {f.name for f in document.fields if f.confirmed}
        if not document.number_symbol and FieldName.NUMBER_SYMBOL not in confirmed:
            reasons.append(
                Reason(
                    code="unconfirmed",
                    vi="Số, ký hiệu chưa được cán bộ xác nhận",
                    en="number and symbol not yet confirmed by an officer",
                    blocking=False,
                )
            )
    if document.needs_review:
        reasons.append(
            Reason(
                code="needs_review",
                vi="Có trang cần kiểm tra lại chất lượng quét",
                en="some pages are flagged for a second look",
                blocking=False,
            )
        )
    reusable = not any(r.blocking for r in reasons)
    if reusable:
        ok = Reason(
            code="reusable", vi="Còn hiệu lực, dùng lại được", en="valid and reusable", blocking=False
        )
        reasons.insert(0, ok)
    return Reusability(doc_id=document.id, validity=status, reusable=reusable, reasons=reasons)
