"""Unusual patterns put on the audit trail for an admin to look at: one officer receiving dossiers for many
different applicants within an hour (each such dossier opens the applicant's papers from every agency).

The count comes from the trail itself (the `create` events of the last hour, each naming its applicant as
`owner`), so it holds across API processes. A flag is an audit event of action `flag`, listed by
`GET /api/v1/audit?action=flag`; a Prometheus counter of flags belongs with the metrics endpoint (issue 25).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sohoa.api.backends import Backends
from sohoa.archive.audit import audit_events, record_event
from sohoa.errors import ServiceUnavailable
from sohoa.records.access import AuditAction, AuditEvent, Principal
from sohoa.records.models import utcnow
from sohoa.search.records import AuditQuery

WINDOW = timedelta(hours=1)
log = logging.getLogger("sohoa.watch")


def watch_new_dossier(
    backends: Backends, who: Principal, applicant: str, *, route: str, client: str | None
) -> AuditEvent | None:
    """Flag `who` when this dossier (for `applicant`, not yet on the trail) makes more different applicants
    within the hour than `SOHOA_FLAG_APPLICANTS_PER_HOUR`; every dossier past the limit is flagged."""
    now = utcnow()
    query = AuditQuery(
        actor=who.username, actions=[AuditAction.CREATE], succeeded=True, at_from=now - WINDOW, limit=500
    )
    try:
        created = audit_events(backends.index, query).events
    except ServiceUnavailable:
        # The dossier is stored and its answer owed: a watch that cannot count now is logged, not fatal.
        log.warning("index unavailable: dossiers of %s in the last hour not counted", who.username)
        return None
    applicants = {e.owner for e in created if e.owner} | {applicant}
    limit = backends.settings.flag_applicants_per_hour
    if len(applicants) <= limit:
        return None
    flag = AuditEvent(
        id=uuid.uuid4().hex,
        at=now,
        actor=who.username,
        role=who.role,
        action=AuditAction.FLAG,
        record=who.username,
        route=route,
        detail={
            "reason": "many_applicants",
            "applicants": str(len(applicants)),
            "limit": str(limit),
            "window": "1h",
            "agency": who.agency or "",
        },
        client=client,
        status=201,
    )
    record_event(backends.store, backends.index, flag)
    return flag
