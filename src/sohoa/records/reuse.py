"""The reuse policy: a document's validity on a given day, and whether it may be reused, with the reasons.

A revoked or expired document stays in the archive and is shown with its status; it is never reusable.
The reasons are meant for the officer at the counter, so each says in words why (Vietnamese, English).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from sohoa.records.models import LOCAL_TZ, Document, DocumentKind, FieldName, ValidityStatus
from sohoa.records.signatures import VERDICT_VI, SignatureVerdict


class Reason(BaseModel):
    code: str
    vi: str
    en: str
    blocking: bool = True  # False: worth knowing, does not stop the reuse


class ReuseFacts(BaseModel):
    """What the policy looks at: taken from a stored document or from its index summary."""

    doc_id: str
    owner_id: str | None
    kind: DocumentKind
    valid_from: date | None = None
    valid_until: date | None = None
    revoked_on: date | None = None
    revoked_reason: str | None = None
    number_confirmed: bool = True
    needs_review: bool = False
    signature: SignatureVerdict | None = None  # of the file as it arrived; None: it came unsigned
    has_content: bool = True

    @classmethod
    def of(cls, document: Document) -> ReuseFacts:
        confirmed = {f.name for f in document.fields if f.confirmed}
        r = document.revocation
        return cls(
            doc_id=document.id,
            owner_id=document.owner_id,
            kind=document.kind,
            valid_from=document.valid_from,
            valid_until=document.valid_until,
            revoked_on=r.at.astimezone(LOCAL_TZ).date() if r else None,
            revoked_reason=r.reason if r else None,
            number_confirmed=bool(document.number_symbol) or FieldName.NUMBER_SYMBOL in confirmed,
            needs_review=document.needs_review,
            signature=document.signature_verdict,
            has_content=any(not p.blank for p in document.pages),
        )


# What an index summary carries of the facts; only whether any page has content it holds as a count.
SUMMARY_FACTS = frozenset(ReuseFacts.model_fields) - {"has_content"}


class Reusability(BaseModel):
    doc_id: str
    validity: ValidityStatus
    reusable: bool
    reasons: list[Reason]


def validity_on(facts: ReuseFacts | Document, day: date) -> ValidityStatus:
    facts = ReuseFacts.of(facts) if isinstance(facts, Document) else facts
    if facts.revoked_on is not None:
        return ValidityStatus.REVOKED
    if facts.valid_until is not None and day > facts.valid_until:
        return ValidityStatus.EXPIRED
    return ValidityStatus.VALID


def reusability(facts: ReuseFacts | Document, day: date, owner_id: str | None = None) -> Reusability:
    facts = ReuseFacts.of(facts) if isinstance(facts, Document) else facts
    status = validity_on(facts, day)
    reasons: list[Reason] = []
    if facts.revoked_on is not None:
        on = facts.revoked_on.isoformat()
        reasons.append(
            Reason(
                code="revoked",
                vi=f"Đã bị thu hồi ngày {on}: {facts.revoked_reason}",
                en=f"revoked on {on}: {facts.revoked_reason}",
            )
        )
    elif status is ValidityStatus.EXPIRED:
        until = facts.valid_until.isoformat() if facts.valid_until else "?"
        reasons.append(
            Reason(code="expired", vi=f"Hết hiệu lực từ sau ngày {until}", en=f"expired after {until}")
        )
    if facts.valid_from is not None and day < facts.valid_from:
        since = facts.valid_from.isoformat()
        reasons.append(
            Reason(code="not_yet_valid", vi=f"Chưa có hiệu lực (từ {since})", en=f"not valid before {since}")
        )
    if facts.owner_id is None:
        reasons.append(
            Reason(code="no_owner", vi="Chưa xác định chủ sở hữu", en="the document has no owner ID")
        )
    elif owner_id is not None and facts.owner_id != owner_id:
        reasons.append(
            Reason(code="other_owner", vi="Giấy tờ của người khác", en="the document belongs to someone else")
        )
    if facts.signature not in (None, SignatureVerdict.VALID):
        # A result is trusted for reuse on its signature; one that does not check out is shown, not offered.
        verdict = SignatureVerdict(facts.signature)
        reasons.append(
            Reason(
                code=f"signature_{verdict.value}",
                vi=f"Chữ ký số {VERDICT_VI[verdict]}",
                en=f"digital signature {verdict.value}",
            )
        )
    if not facts.has_content:
        reasons.append(Reason(code="no_pages", vi="Không có trang nội dung", en="no page with content"))
    if facts.kind is DocumentKind.RESULT and not facts.number_confirmed:
        reasons.append(
            Reason(
                code="unconfirmed",
                vi="Số, ký hiệu chưa được cán bộ xác nhận",
                en="number and symbol not yet confirmed by an officer",
                blocking=False,
            )
        )
    if facts.needs_review:
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
    return Reusability(doc_id=facts.doc_id, validity=status, reusable=reusable, reasons=reasons)
