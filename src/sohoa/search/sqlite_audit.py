"""The audit trail on SQLite: events written as they happen (and again by reindex), and the look-ups on
them: by record, actor, owner of the papers read, action and time (search.records AuditQuery;
ElasticIndex answers the same from its own index)."""

from __future__ import annotations

import json
import sqlite3

from sohoa.records.access import AuditEvent
from sohoa.search.records import AuditPage, AuditQuery
from sohoa.search.sqlite_schema import utc_text

_INSERT = (
    "INSERT OR REPLACE INTO audit (id, at, actor, role, action, record, route, detail, client, status, "
    "owner) VALUES (:id, :at, :actor, :role, :action, :record, :route, :detail, :client, :status, :owner)"
)


def index_audit(conn: sqlite3.Connection, events: list[AuditEvent]) -> None:
    rows = [
        e.model_dump(mode="json") | {"at": utc_text(e.at), "detail": json.dumps(e.detail)} for e in events
    ]
    conn.executemany(_INSERT, rows)


def _where(query: AuditQuery) -> tuple[str, dict[str, object]]:
    where, params = ["1 = 1"], {"limit": query.limit, "offset": query.offset}
    for column, value in (("record", query.record), ("actor", query.actor), ("owner", query.owner)):
        if value:
            where.append(f"{column} = :{column}")
            params[column] = value
    if query.not_actor:
        where.append("actor != :not_actor")
        params["not_actor"] = query.not_actor
    if query.actions:
        names = {f"action{i}": a.value for i, a in enumerate(query.actions)}
        where.append(f"action IN ({', '.join(':' + n for n in names)})")
        params.update(names)
    if query.succeeded:
        where.append("status < 400")
    if query.at_from:
        where.append("at >= :at_from")
        params["at_from"] = utc_text(query.at_from)
    if query.at_to:
        where.append("at < :at_to")
        params["at_to"] = utc_text(query.at_to)
    return " AND ".join(where), params


def audit_events(conn: sqlite3.Connection, query: AuditQuery) -> AuditPage:
    """Matching events, newest first."""
    cond, params = _where(query)
    total = conn.execute(f"SELECT count(*) FROM audit WHERE {cond}", params).fetchone()[0]  # noqa: S608
    rows = conn.execute(
        f"SELECT * FROM audit WHERE {cond} ORDER BY at DESC, id LIMIT :limit OFFSET :offset",  # noqa: S608
        params,
    ).fetchall()
    events = [
        AuditEvent.model_validate(dict(zip(r.keys(), r, strict=True)) | {"detail": json.loads(r["detail"])})
        for r in rows
    ]
    return AuditPage(total=total, events=events)
