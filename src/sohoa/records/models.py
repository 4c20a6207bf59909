"""Pydantic models of the records sohoa keeps: documents, their pages and the words OCR found on them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

# LOCAL_TZ, nfc and utcnow are imported from here by most of sohoa; they live in basics for the records
# this module is built from.
from sohoa.records.basics import LOCAL_TZ, NfcStr, nfc, utcnow  # noqa: F401
from sohoa.records.digitization import HistoryEntry
from sohoa.records.identifiers import validate_owner_id
from sohoa.records.signatures import SignatureCheck, SignatureVerdict, overall


class DocumentKind(StrEnum):
    COMPONENT = "component"  # thành phần hồ sơ
    RESULT = "result"  # kết quả giải quyết


class ValidityStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Word(BaseModel):
    """A word OCR read, with its box in the pixel coordinates of the stored cleaned page image."""

    model_config = ConfigDict(frozen=True)

    text: NfcStr
    left: int
    top: int
    width: int
    height: int
    confidence: float = Field(ge=0, le=100)
    line: int = 0  # running line number on the page, so text can be rebuilt from words
    # Set only on a word the syllable correction changed (ocr.rescore): what the recognizer read, and its
    # confidence, so a reviewer can see the change. None on words kept as read and on older records.
    ocr_text: NfcStr | None = None
    ocr_confidence: float | None = Field(default=None, ge=0, le=100)


class PageSummary(BaseModel):
    """What is known of a page apart from its words."""

    text: NfcStr
    mean_confidence: float = 0.0
    rotation: int = 0  # clockwise degrees applied to put the page upright: 0, 90, 180, 270
    skew: float = 0.0  # degrees of deskew applied after the rotation
    blank: bool = False
    needs_review: bool = False
    review_reasons: list[str] = []
    width: int = 0  # of the cleaned image, in pixels
    height: int = 0
    dpi: int = 300
    # 64-bit difference hash of the cleaned page (hex): finds the same paper scanned again
    dhash: str | None = None


class PageAnalysis(PageSummary):
    """What the page pipeline (ocr/) learnt about one page; no storage concerns."""

    words: list[Word] = []


class Page(PageSummary):
    """A page of a stored document; its words are kept beside it (`words_key`), not in the manifest."""

    number: int = Field(ge=1)
    image_key: str  # cleaned page image
    words_key: str  # the words and boxes (JSON)


class DossierRef(BaseModel):
    """The dossier (hồ sơ) a document belongs to, as far as the foundation knows it: its code and owner."""

    code: NfcStr
    owner_id: str | None = None
    procedure_code: str | None = None  # the procedure the dossier was filed under (mã thủ tục)


class Box(BaseModel):
    model_config = ConfigDict(frozen=True)

    left: int
    top: int
    width: int
    height: int


class FieldName(StrEnum):
    NUMBER_SYMBOL = "number_symbol"  # số, ký hiệu
    ISSUE_PLACE = "issue_place"  # địa danh
    ISSUE_DATE = "issue_date"  # ngày ban hành
    ISSUER = "issuer"  # cơ quan ban hành
    DOC_TYPE = "doc_type"  # tên loại văn bản
    SUMMARY = "summary"  # trích yếu
    PERSONAL_ID = "personal_id"  # số định danh cá nhân
    TAX_CODE = "tax_code"  # mã số thuế
    VALID_FROM = "valid_from"  # có hiệu lực (kể) từ ngày
    VALID_UNTIL = "valid_until"  # có giá trị đến (hết) ngày, or the end of "thời hạn N năm"
    SIGNER = "signer"  # người ký: the name under the signature block
    SIGNED_ON = "signed_on"  # ngày ký: the date of the heading (Decree 30/2020)


class ExtractedField(BaseModel):
    """A value read from the OCR text, where it was found, and whether a person has confirmed it."""

    name: FieldName
    value: NfcStr
    page: int
    box: Box | None = None  # in the coordinates of the stored cleaned page image
    confirmed: bool = False
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    original: NfcStr | None = None  # what OCR read, when the officer corrected it


class Revocation(BaseModel):
    reason: NfcStr = Field(min_length=3, max_length=500)
    by: str
    at: datetime = Field(default_factory=utcnow)


class FactEdit(BaseModel):
    """One change a person made to a document's facts (validity, number and symbol, issuer, ...): the value
    before and after, as text (dates as YYYY-MM-DD; None: not set), who and when. Kept in the record so the
    history of its facts is visible without the audit trail."""

    field: str
    old: NfcStr | None = None
    new: NfcStr | None = None
    by: str
    at: datetime = Field(default_factory=utcnow)


class DuplicateEvidence(BaseModel):
    """Why an earlier document looks like the same paper: offered for linking instead of a new copy."""

    doc_id: str
    page_hash_distance: int | None = None  # mean Hamming distance of page hashes (0..64), when compared
    text_similarity: float | None = None  # 0..1, character-level
    same_number_and_owner: bool = False


class Document(BaseModel):
    """A digitized paper: one master file as captured, its pages and what was learnt from them."""

    id: str
    kind: DocumentKind = DocumentKind.COMPONENT
    doc_type: NfcStr | None = None  # e.g. "giay-khai-sinh"; free text until the reuse issue fixes a list
    title: NfcStr | None = None
    owner_id: str | None = None
    dossier: DossierRef | None = None
    doc_date: date | None = None  # issue date when known, else the capture date
    agency: str | None = None  # the agency that digitized it (from its dossier)
    # what a result carries (kết quả giải quyết); filled by the officer, or confirmed from extracted fields
    number_symbol: NfcStr | None = None
    issuer: NfcStr | None = None
    signer: NfcStr | None = None
    signed_on: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    scope: NfcStr | None = None
    revocation: Revocation | None = None
    result_code: str | None = None  # mã kết quả số hóa
    # As of the last write when stored; reading the record back judges it on the day (ingest.load_document).
    validity: ValidityStatus = ValidityStatus.VALID
    fields: list[ExtractedField] = []
    near_duplicates: list[DuplicateEvidence] = []
    master_key: str
    master_sha256: str
    master_name: NfcStr  # the name it arrived with; never used as a path
    master_media_type: str
    master_size: int
    searchable_pdf_key: str | None = None
    # The latest signed copy (each signing adds one, write-once), and its signatures as checked then.
    signed_pdf_key: str | None = None
    copy_signatures: list[SignatureCheck] = []
    # The signatures of the file as it arrived (results often come signed), checked at ingest.
    signatures: list[SignatureCheck] = []
    history: list[HistoryEntry] = []  # the digitization steps taken (records.digitization)
    edits: list[FactEdit] = []  # changes to its facts after ingest, oldest first (ingest.edits)
    pages: list[Page] = []
    page_count: int = 0
    ocr_engine: str = ""
    mean_confidence: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)
    # Not part of the record: the store's version of the manifest it was read from or last written as
    # (ingest.documents, ingest.lifecycle), the API's ETag; a stale copy is refused when written back.
    _version: str | None = PrivateAttr(default=None)

    @field_validator("owner_id")
    @classmethod
    def _valid_owner(cls, value: str | None) -> str | None:
        return None if value is None else validate_owner_id(value).value

    @property
    def needs_review(self) -> bool:
        return any(p.needs_review for p in self.pages)

    @property
    def signature_verdict(self) -> SignatureVerdict | None:
        """The verdict on the signatures it arrived with; None when it arrived unsigned."""
        return overall(self.signatures)

    @property
    def text(self) -> str:
        return "\n\f".join(p.text for p in self.pages)
