"""An officer confirming or correcting the fields read from a paper: which field each change names, the
value checked by its kind, and the record's own fields that confirmed values become.

Every field is kept: two personal IDs (or two dates) on one paper are two fields, each confirmed on its
own. A corrected field keeps what OCR first read as `original`; who confirmed it and when are on the field.
Unconfirmed values stay suggestions and never change the record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from sohoa.errors import InvalidValue
from sohoa.records.dates import parse_date
from sohoa.records.doctypes import slug_for
from sohoa.records.identifiers import parse_number_symbol, validate_personal_id, validate_tax_code
from sohoa.records.models import LOCAL_TZ, Document, ExtractedField, FieldName, nfc
from sohoa.records.reuse import validity_on

DATE_FIELDS = frozenset(
    {FieldName.ISSUE_DATE, FieldName.VALID_FROM, FieldName.VALID_UNTIL, FieldName.SIGNED_ON}
)
# A confirmed field → the attribute of the Document it sets.
RECORD_ATTRIBUTE = {
    FieldName.NUMBER_SYMBOL: "number_symbol",
    FieldName.ISSUER: "issuer",
    FieldName.ISSUE_DATE: "doc_date",
    FieldName.DOC_TYPE: "doc_type",
    FieldName.VALID_FROM: "valid_from",
    FieldName.VALID_UNTIL: "valid_until",
    FieldName.SIGNER: "signer",
    FieldName.SIGNED_ON: "signed_on",
}


class InvalidField(InvalidValue):
    """A change that cannot be applied; the message says why, in Vietnamese and English."""


class FieldChange(BaseModel):
    """One field confirmed (its value as read) or corrected: `index` names a field of the document; a
    `name` without an index adds a field OCR missed."""

    index: int | None = Field(default=None, ge=0, description="position in document.fields")
    name: FieldName | None = Field(default=None, description="with an index: must be that field's name")
    value: str = Field(max_length=500)
    page: int | None = Field(default=None, ge=1, description="for a field added: the page it is on")

    @model_validator(mode="after")
    def _names_a_field(self) -> FieldChange:
        if self.index is None and self.name is None:
            raise ValueError("give the index of a field, or the name of a field to add")
        return self


def checked_value(name: FieldName, raw: str) -> str:
    """The value as stored: dates in ISO, identifiers validated, text in NFC without stray spaces."""
    value = " ".join(nfc(raw).split())
    if not value:
        raise InvalidField(f"Trường {name.value} không được để trống", f"field {name.value} is empty")
    try:
        if name in DATE_FIELDS:
            return parse_date(value).isoformat()
        if name is FieldName.NUMBER_SYMBOL:
            return str(parse_number_symbol(value))
        if name is FieldName.PERSONAL_ID:
            return validate_personal_id(value).value
        if name is FieldName.TAX_CODE:
            return validate_tax_code(value).value
    except InvalidValue as exc:
        raise InvalidField(exc.vi, exc.en) from exc
    if name is FieldName.DOC_TYPE and not slug_for(value):
        raise InvalidField(f"Loại văn bản không hợp lệ: {value!r}", f"not a document type: {value!r}")
    return value


def changes_by_name(fields: Sequence[ExtractedField], values: Mapping[FieldName, str]) -> list[FieldChange]:
    """The older form `{name: value}`: the first field of that name, or a new one when there is none."""
    out = []
    for name, value in values.items():
        index = next((i for i, f in enumerate(fields) if f.name is name), None)
        out.append(FieldChange(index=index, name=name, value=value))
    return out


def confirmed(document: Document, changes: Sequence[FieldChange], *, by: str, at: datetime) -> Document:
    """A copy of the document with the changes applied; raises InvalidField and changes nothing when any
    change names no field, holds an invalid value, or leaves validity ending before it starts."""
    if not changes:
        raise InvalidField("Chưa có trường nào để xác nhận", "no field to confirm")
    out = document.model_copy(deep=True)
    fields = list(out.fields)
    touched: list[ExtractedField] = []
    seen: set[int] = set()
    for change in changes:
        if change.index is not None:
            if change.index >= len(document.fields):
                raise InvalidField(
                    f"Tài liệu không có trường số {change.index}", f"the document has no field {change.index}"
                )
            if change.index in seen:
                raise InvalidField(
                    f"Trường số {change.index} được gửi hai lần", f"field {change.index} given twice"
                )
            seen.add(change.index)
            old = fields[change.index]
            if change.name is not None and change.name is not old.name:
                raise InvalidField(
                    f"Trường số {change.index} là {old.name.value}, không phải {change.name.value}",
                    f"field {change.index} is {old.name.value}, not {change.name.value}",
                )
            value = checked_value(old.name, change.value)
            if old.confirmed and old.value == value:
                continue  # confirmed before as it stands: the first confirmation is the one on record
            field = old.model_copy(
                update={
                    "value": value,
                    "confirmed": True,
                    "confirmed_by": by,
                    "confirmed_at": at,
                    # What OCR read stays, through any number of corrections.
                    "original": old.original or (old.value if old.value != value else None),
                }
            )
            fields[change.index] = field
        else:
            assert change.name is not None  # the model's validator
            page = change.page or 1
            if page > max(out.page_count, 1):
                raise InvalidField(f"Tài liệu không có trang {page}", f"the document has no page {page}")
            value = checked_value(change.name, change.value)
            field = ExtractedField(
                name=change.name, value=value, page=page, confirmed=True, confirmed_by=by, confirmed_at=at
            )
            fields.append(field)
        touched.append(field)
    out.fields = fields
    for field in touched:
        attribute = RECORD_ATTRIBUTE.get(field.name)
        if attribute is None:
            continue
        if field.name in DATE_FIELDS:
            setattr(out, attribute, date.fromisoformat(field.value))
        elif field.name is FieldName.DOC_TYPE:
            out.doc_type = slug_for(field.value)
        else:
            setattr(out, attribute, field.value)
    if out.valid_from and out.valid_until and out.valid_until < out.valid_from:
        raise InvalidField(
            f"Ngày hết hiệu lực {out.valid_until} trước ngày có hiệu lực {out.valid_from}",
            f"valid until {out.valid_until} is before valid from {out.valid_from}",
        )
    out.validity = validity_on(out, at.astimezone(LOCAL_TZ).date())
    return out
