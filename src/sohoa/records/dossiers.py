"""Dossiers (hồ sơ), the links that tie documents to them, and reuse events.

The reception time is the server's clock when the dossier is created: a client sends a `DossierForm`, which
has no `received_at` and refuses one (422) rather than drop it silently, since a client that sends it
believes it sets it. `NewDossier` keeps the field for internal callers (tests building past dossiers, an
import) and stored dossiers. The access an open dossier gives to the applicant's papers (`records.access`)
rests on that time and on `closed_at`, which the server sets when the dossier is done or returned.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from sohoa.errors import InvalidValue
from sohoa.records.basics import today
from sohoa.records.identifiers import IdKind, validate_owner_id
from sohoa.records.models import LOCAL_TZ, NfcStr, utcnow

EARLIEST_RECEPTION = date(1990, 1, 1)
_SERVER_TIME = (
    "Thời điểm tiếp nhận do hệ thống ghi khi tạo hồ sơ, không gửi received_at",
    "the reception time is the server's clock when the dossier is created: do not send received_at",
)
_OUT_OF_RANGE = (
    f"Thời điểm tiếp nhận phải từ {EARLIEST_RECEPTION.year} đến hôm nay",
    f"the reception time must lie between {EARLIEST_RECEPTION.year} and today",
)


class ApplicantKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class Channel(StrEnum):
    COUNTER = "counter"  # trực tiếp
    ONLINE = "online"  # trực tuyến
    POST = "post"  # bưu chính


class DossierStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    RETURNED = "returned"

    @property
    def open(self) -> bool:
        return self in (DossierStatus.RECEIVED, DossierStatus.PROCESSING)


class LinkKind(StrEnum):
    SCANNED = "scanned"  # digitized for this dossier
    REUSED = "reused"  # an earlier digitized copy, linked instead of new paper


class Applicant(BaseModel):
    kind: ApplicantKind = ApplicantKind.PERSON
    id_number: str
    name: NfcStr = Field(min_length=1, max_length=200)

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        return validate_owner_id(value).value

    def model_post_init(self, _: object) -> None:
        is_org = validate_owner_id(self.id_number).kind is IdKind.TAX
        if is_org != (self.kind is ApplicantKind.ORGANIZATION):
            raise InvalidValue(
                "Người nộp là cá nhân thì dùng số định danh, là tổ chức thì dùng mã số thuế",
                "a person applies with a personal ID, an organization with a tax code",
            )


class _DossierFacts(BaseModel):
    agency: str = Field(min_length=1, max_length=40, description="receiving agency code, e.g. 000.00.11.H29")
    procedure_code: str = Field(min_length=1, max_length=40)
    procedure_name: NfcStr = Field(min_length=1, max_length=300)
    applicant: Applicant
    channel: Channel = Channel.COUNTER
    due_date: date | None = None


class DossierForm(_DossierFacts):
    """What the officer enters at the counter, as the API takes it: the code and the reception time are
    sohoa's."""

    @model_validator(mode="before")
    @classmethod
    def _no_reception_time(cls, data: object) -> object:
        if isinstance(data, dict) and "received_at" in data:
            raise InvalidValue(*_SERVER_TIME)
        return data


class NewDossier(_DossierFacts):
    """A dossier to store; `received_at` is now unless an internal caller says otherwise."""

    received_at: datetime = Field(default_factory=utcnow)

    @field_validator("received_at")
    @classmethod
    def _a_day_at_the_counter(cls, value: datetime) -> datetime:
        # The code and every count take the day at the counter from it: it must be one (no year 9999, no
        # offset that runs off the calendar) and not in the future.
        try:
            day = value.astimezone(LOCAL_TZ).date()
        except (OverflowError, ValueError) as exc:
            raise InvalidValue(*_OUT_OF_RANGE) from exc
        if not EARLIEST_RECEPTION <= day <= today() + timedelta(days=1):
            raise InvalidValue(*_OUT_OF_RANGE)
        return value


class Dossier(NewDossier):
    code: str
    status: DossierStatus = DossierStatus.RECEIVED
    created_by: str = "system"
    closed_at: datetime | None = Field(default=None, description="when it was done or returned (server time)")
    closed_by: str | None = None

    @property
    def access_from(self) -> datetime | None:
        """When the access to the applicant's papers started running out: None while open; the close time,
        or the reception time for a dossier stored closed before close times were kept."""
        return None if self.status.open else (self.closed_at or self.received_at)


class StatusChange(BaseModel):
    """An officer moves a dossier on; done or returned closes it (the server records when)."""

    status: DossierStatus


class DossierLink(BaseModel):
    """One document in one dossier; a link, never a copy of the document."""

    dossier_code: str
    doc_id: str
    kind: LinkKind
    by: str
    at: datetime = Field(default_factory=utcnow)


class ReuseEvent(BaseModel):
    """Logged for every reuse: the indicator a province is scored on (Decision 766/QĐ-TTg)."""

    id: str
    dossier_code: str
    doc_id: str
    owner_id: str | None
    agency: str
    by: str
    at: datetime = Field(default_factory=utcnow)


class DossierView(Dossier):
    """A dossier with its links, as the API shows it."""

    links: list[DossierLink] = []
