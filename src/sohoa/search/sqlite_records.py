"""The records of SqliteIndex beside its pages (search.records): document summaries, dossiers and reuse
events for the reuse look-ups, the officers' access and the indicators; the audit trail and the dossier
tallies keep their SQL in search.sqlite_audit and search.sqlite_indicators.
"""

from __future__ import annotations

from datetime import date, datetime

from sohoa.records.access import AuditEvent
from sohoa.search import sqlite_audit, sqlite_indicators
from sohoa.search.records import (
    AuditPage,
    AuditQuery,
    DigitizationCounts,
    DocumentRecord,
    DossierRecord,
    DossierTally,
    ReuseRecord,
)
from sohoa.search.sqlite_schema import SqliteFile, utc_text

# Counts over a period, for one agency (:agency) or all (:agency NULL).
_COUNT_DOSSIERS = """SELECT count(*) FROM dossiers
    WHERE received_on BETWEEN :a AND :b AND (:agency IS NULL OR agency = :agency)"""
_COUNT_DOCUMENTS = """SELECT kind, count(*) FROM documents
    WHERE created_on BETWEEN :a AND :b AND (:agency IS NULL OR agency = :agency) GROUP BY kind"""
_COUNT_REUSES = """SELECT count(*) FROM reuses
    WHERE "on" BETWEEN :a AND :b AND (:agency IS NULL OR agency = :agency)"""
_DOCUMENT_COLUMNS = (
    "doc_id", "owner_id", "doc_type", "kind", "title", "number_symbol", "issuer", "doc_date", "valid_from",
    "valid_until", "revoked", "revoked_on", "revoked_reason", "number_confirmed", "needs_review", "agency",
    "result_code", "created_at", "created_on", "reuse_count", "page_count", "signature", "dossier_code",
)  # fmt: skip


class SqliteRecords(SqliteFile):
    def index_documents(self, documents: list[DocumentRecord]) -> None:
        rows = [
            {
                **d.model_dump(mode="json"),
                "created_on": d.created_at.date().isoformat(),
                "revoked": int(d.revoked),
            }
            for d in documents
        ]
        columns = ", ".join(_DOCUMENT_COLUMNS)
        values = ", ".join(f":{c}" for c in _DOCUMENT_COLUMNS)
        with self._tx(write=True) as conn:
            conn.executemany(f"INSERT OR REPLACE INTO documents ({columns}) VALUES ({values})", rows)  # noqa: S608

    def _documents(self, where: str, params: dict[str, object]) -> list[DocumentRecord]:
        columns = ", ".join(c for c in _DOCUMENT_COLUMNS if c != "created_on")
        sql = (
            f"SELECT {columns} FROM documents WHERE {where} "  # noqa: S608 (fixed SQL)
            "ORDER BY doc_date DESC, created_at DESC LIMIT :limit"
        )
        with self._tx() as conn:
            rows = conn.execute(sql, params).fetchall()
        # sqlite3.Row is not a mapping (no `in`); flags come back as 0/1, which pydantic reads as booleans.
        return [DocumentRecord.model_validate(dict(zip(r.keys(), r, strict=True))) for r in rows]

    def owner_documents(
        self, owner_id: str, doc_type: str | None = None, limit: int = 200
    ) -> list[DocumentRecord]:
        where = "owner_id = :owner_id" + (" AND doc_type = :doc_type" if doc_type else "")
        return self._documents(where, {"owner_id": owner_id, "doc_type": doc_type, "limit": limit})

    def documents_by_number(self, number_symbol: str) -> list[DocumentRecord]:
        return self._documents("number_symbol = :n", {"n": number_symbol, "limit": 200})

    def index_dossiers(self, dossiers: list[DossierRecord]) -> None:
        with self._tx(write=True) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO dossiers (code, agency, procedure_code, owner_id, received_on, "
                "status, closed_at) VALUES (:code, :agency, :procedure_code, :owner_id, :received_on, "
                ":status, :closed_at)",
                [
                    d.model_dump(mode="json") | {"closed_at": d.closed_at and utc_text(d.closed_at)}
                    for d in dossiers
                ],
            )

    def index_reuses(self, reuses: list[ReuseRecord]) -> None:
        with self._tx(write=True) as conn:
            conn.executemany(
                'INSERT OR REPLACE INTO reuses (id, dossier_code, doc_id, owner_id, agency, "on") '
                "VALUES (:id, :dossier_code, :doc_id, :owner_id, :agency, :on)",
                [r.model_dump(mode="json") for r in reuses],
            )

    def digitization_counts(
        self, date_from: date, date_to: date, agency: str | None = None
    ) -> DigitizationCounts:
        params = {"a": date_from.isoformat(), "b": date_to.isoformat(), "agency": agency}
        with self._tx() as conn:
            n_dossiers = conn.execute(_COUNT_DOSSIERS, params).fetchone()[0]
            by_kind = dict(conn.execute(_COUNT_DOCUMENTS, params).fetchall())
            n_reuses = conn.execute(_COUNT_REUSES, params).fetchone()[0]
        components, results = by_kind.get("component", 0), by_kind.get("result", 0)
        return DigitizationCounts(
            dossiers=n_dossiers,
            documents=components + results,
            components=components,
            results=results,
            reuses=n_reuses,
        )

    def dossier_tallies(
        self, date_from: date, date_to: date, agency: str | None = None
    ) -> list[DossierTally]:
        with self._tx() as conn:
            return sqlite_indicators.dossier_tallies(conn, date_from, date_to, agency)

    def access_dossier(self, owner_id: str, agency: str, closed_since: datetime) -> str | None:
        # Open: status received/processing, or none (a row indexed before statuses were kept).
        with self._tx() as conn:
            row = conn.execute(
                "SELECT code FROM dossiers WHERE owner_id = ? AND agency = ? AND (status IS NULL "
                "OR status IN ('received', 'processing') OR closed_at >= ?) "
                "ORDER BY received_on DESC, code DESC LIMIT 1",
                (owner_id, agency, utc_text(closed_since)),
            ).fetchone()
        return row[0] if row else None

    def index_audit(self, events: list[AuditEvent]) -> None:
        with self._tx(write=True) as conn:
            sqlite_audit.index_audit(conn, events)

    def audit_events(self, query: AuditQuery) -> AuditPage:
        with self._tx() as conn:
            return sqlite_audit.audit_events(conn, query)
