"""The audit trail's look-ups on Elasticsearch: by record, actor, owner of the papers read, action and time
(search.records AuditQuery; SqliteIndex answers the same in search.sqlite_audit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sohoa.records.access import AuditEvent
from sohoa.search.records import AuditPage, AuditQuery


def _filters(query: AuditQuery) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [
        {"term": {field: value}}
        for field, value in (("record", query.record), ("actor", query.actor), ("owner", query.owner))
        if value
    ]
    if query.actions:
        filters.append({"terms": {"action": [a.value for a in query.actions]}})
    if query.succeeded:
        filters.append({"range": {"status": {"lt": 400}}})
    at = {op: t.isoformat() for op, t in (("gte", query.at_from), ("lt", query.at_to)) if t is not None}
    if at:
        filters.append({"range": {"at": at}})
    not_actor = [{"term": {"actor": query.not_actor}}] if query.not_actor else []
    return {"bool": {"filter": filters, "must_not": not_actor}}


def audit_events(search: Callable[..., Any], query: AuditQuery) -> AuditPage:
    """Matching events, newest first; `search` runs a search on the audit index."""
    response = search(
        query=_filters(query),
        sort=[{"at": "desc"}, {"id": "asc"}],
        from_=query.offset,
        size=query.limit,
        track_total_hits=True,
    )
    events = [AuditEvent.model_validate(h["_source"]) for h in response["hits"]["hits"]]
    return AuditPage(total=response["hits"]["total"]["value"], events=events)
