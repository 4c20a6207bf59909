"""Who may see what: users, their roles, API tokens and sessions, and the record-level rules, without I/O.

Four roles (domain.md): archive `staff` scan and ingest, `officer`s search and decide within their agency,
a `citizen` sees only papers whose owner ID is their own personal ID, an `admin` keeps users and reads the
audit trail but no citizen's papers. Which route each role may call is the API's policy table; the rules
here decide, for one record, whether a principal allowed on the route may see that record.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from sohoa.errors import InvalidValue
from sohoa.records.codes import check_agency
from sohoa.records.identifiers import validate_personal_id
from sohoa.records.models import utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class Role(StrEnum):
    STAFF = "staff"
    OFFICER = "officer"
    CITIZEN = "citizen"
    ADMIN = "admin"


class User(BaseModel):
    username: str = Field(pattern=USERNAME_RE.pattern)
    role: Role
    agency: str | None = Field(default=None, description="staff and officers: their agency code (≤ 40)")
    personal_id: str | None = Field(default=None, description="citizens: their 12-digit personal ID")
    display_name: str = Field(default="", max_length=200)
    password_hash: str | None = None  # argon2id; None: API tokens only
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("personal_id")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        return validate_personal_id(value).value if value else None

    @field_validator("agency")
    @classmethod
    def _valid_agency(cls, value: str | None) -> str | None:
        # The same shape as the agency part of a dossier code: what access checks compare it with.
        return check_agency(value) if value else None

    @model_validator(mode="after")
    def _role_needs(self) -> User:
        if self.role in (Role.STAFF, Role.OFFICER) and not self.agency:
            raise InvalidValue("Cán bộ phải thuộc một cơ quan", "staff and officers need an agency")
        if self.role is Role.CITIZEN and not self.personal_id:
            raise InvalidValue("Công dân cần số định danh cá nhân", "a citizen needs a personal ID")
        return self


class TokenKind(StrEnum):
    API = "api"  # made by `sohoa users token`, sent as `Authorization: Bearer`
    SESSION = "session"  # made by a web login, sent as a cookie


class Credential(BaseModel):
    """An API token or a web session as stored: the secret itself is never kept, only its hash."""

    id: str
    kind: TokenKind
    username: str
    secret_sha256: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request, as the access rules see it."""

    username: str
    role: Role
    agency: str | None = None
    personal_id: str | None = None
    via: TokenKind = TokenKind.API
    # What the record-level checks learned for the audit trail of this request: whose papers were read
    # (`owner`), through which dossier (`via_dossier`). Kept on the caller so no check can forget to pass it
    # on; the API writes it with the request's event.
    trail: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, user: User, via: TokenKind) -> Principal:
        return cls(user.username, user.role, user.agency, user.personal_id, via)


def may_read(
    who: Principal,
    *,
    owner_id: str | None,
    agency: str | None,
    handles_owner: bool = False,
    granted: Collection[str] = (),
) -> bool:
    """May `who` see a record (document, page, dossier) of this owner, digitized by this agency?

    `handles_owner`: the owner applies at `who`'s agency (a dossier there, open or closed a short time ago,
    names them), which is what lets an officer look at papers another agency digitized before attaching
    them, as the once-only rule needs (api.access finds that dossier and puts it on the trail).
    `granted`: the agencies that hold the record besides its own, having imported its dossier from the
    agency that received it (liên thông: archive.grants); their staff and officers read it as their own.
    """
    ours = who.agency is not None and (agency == who.agency or who.agency in granted)
    match who.role:
        case Role.CITIZEN:
            return owner_id is not None and owner_id == who.personal_id
        case Role.OFFICER:
            return ours or handles_owner
        case Role.STAFF:
            return ours
        case Role.ADMIN:
            return False
    return False


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    INGEST = "ingest"
    VIEW = "view"
    DOWNLOAD = "download"
    SEARCH = "search"
    REUSE = "reuse"
    EDIT = "edit"
    REVOKE = "revoke"
    SIGN = "sign"
    CREATE = "create"
    AUDIT = "audit"  # an admin reading the trail is itself on the trail
    DAMAGE_FOUND = "integrity_error"  # a stored object failed its sha256 check on read
    REPAIR = "repair"  # a damaged stored master written back from the original file
    FLAG = "flag"  # an unusual pattern for an admin to look at (api.watch)
    FIXITY = "fixity"  # a run reading back every stored object to check its sha256 (archive.fixity)
    IMPORT = "import"  # a dossier package from another installation stored here (archive.package_import)


class AuditEvent(BaseModel):
    """One append-only entry of the trail: who, in which role, did what to which record, when, from where,
    and how it ended (the HTTP status: a refused look is recorded too)."""

    id: str
    at: datetime = Field(default_factory=utcnow)
    actor: str
    role: Role | None = None
    action: AuditAction
    record: str | None = Field(default=None, description="document id, dossier code, owner ID, …")
    route: str
    detail: dict[str, str] = Field(default_factory=dict, description="search query and filters, …")
    client: str | None = None
    status: int
    owner: str | None = Field(default=None, description="whose papers were read: their own read list")
