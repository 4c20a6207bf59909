"""For admins: the audit trail and the list of users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sohoa.api.deps import BackendsDep
from sohoa.archive.accounts import list_users
from sohoa.archive.audit import audit_events
from sohoa.records.access import AuditAction, Role
from sohoa.records.models import LOCAL_TZ
from sohoa.search.records import AuditPage, AuditQuery

router = APIRouter(tags=["admin"])


@router.get("/audit", response_model=AuditPage)
def get_audit(
    backends: BackendsDep,
    record: Annotated[str | None, Query(max_length=100, description="document id, dossier code, …")] = None,
    user: Annotated[str | None, Query(max_length=40)] = None,
    action: Annotated[AuditAction | None, Query(description="e.g. flag: unusual patterns")] = None,
    date_from: Annotated[datetime | None, Query(alias="from")] = None,
    date_to: Annotated[datetime | None, Query(alias="to", description="excluded")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> AuditPage:
    """Who did what to which record, newest first."""
    # A time given without a zone is Vietnam time, as the admin reading the trail means it.
    at_from, at_to = (
        t.replace(tzinfo=LOCAL_TZ) if t and t.tzinfo is None else t for t in (date_from, date_to)
    )
    query = AuditQuery(
        record=record,
        actor=user,
        actions=[action] if action else [],
        at_from=at_from,
        at_to=at_to,
        limit=limit,
        offset=offset,
    )
    return audit_events(backends.index, query)


class UserView(BaseModel):
    username: str
    role: Role
    agency: str | None
    personal_id: str | None
    display_name: str
    disabled: bool


class UsersPage(BaseModel):
    total: int
    users: list[UserView]


@router.get("/users", response_model=UsersPage)
def get_users(
    backends: BackendsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> UsersPage:
    """The accounts, by user name."""
    total, users = list_users(backends.store, limit=limit, offset=offset)
    return UsersPage(total=total, users=[UserView.model_validate(u.model_dump()) for u in users])
