"""SqliteIndex: the embedded search backend, SQLite FTS5 over the text as written and its folded form.

A plain table holds each page (text, folded text, filter fields); an external-content FTS5 table indexes the
two text columns and is kept in step by triggers. Matching runs on the folded column; when the query carries
diacritics, the as-written column joins in with a heavy weight so exact matches rank first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType

from sohoa.records.access import AuditEvent
from sohoa.search.base import (
    EXACT_BOOST,
    TOTAL_CAP,
    InvalidQuery,
    PageRecord,
    ParsedQuery,
    SearchHit,
    SearchQuery,
    SearchResults,
    is_exact,
    parse_query,
)
from sohoa.search.folding import fold
from sohoa.search.highlight import snippet
from sohoa.search.records import (
    AuditPage,
    AuditQuery,
    DigitizationCounts,
    DocumentRecord,
    DossierRecord,
    ReuseRecord,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    folded TEXT NOT NULL,
    title TEXT, owner_id TEXT, doc_type TEXT, dossier_code TEXT, doc_date TEXT, kind TEXT, validity TEXT,
    agency TEXT,
    UNIQUE (doc_id, page)
);
CREATE INDEX IF NOT EXISTS pages_owner ON pages (owner_id);
CREATE INDEX IF NOT EXISTS pages_dossier ON pages (dossier_code);
CREATE INDEX IF NOT EXISTS pages_type ON pages (doc_type);
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5 (
    text, folded, content='pages', content_rowid='id', tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS pages_ai AFTER INSERT ON pages BEGIN
    INSERT INTO pages_fts (rowid, text, folded) VALUES (new.id, new.text, new.folded);
END;
CREATE TRIGGER IF NOT EXISTS pages_ad AFTER DELETE ON pages BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, text, folded) VALUES ('delete', old.id, old.text, old.folded);
END;
CREATE TRIGGER IF NOT EXISTS pages_au AFTER UPDATE ON pages BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, text, folded) VALUES ('delete', old.id, old.text, old.folded);
    INSERT INTO pages_fts (rowid, text, folded) VALUES (new.id, new.text, new.folded);
END;
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, owner_id TEXT, doc_type TEXT, kind TEXT NOT NULL, title TEXT, number_symbol TEXT,
    issuer TEXT, doc_date TEXT, valid_from TEXT, valid_until TEXT, revoked INTEGER NOT NULL, revoked_on TEXT,
    revoked_reason TEXT, number_confirmed INTEGER NOT NULL, needs_review INTEGER NOT NULL, agency TEXT,
    result_code TEXT, created_at TEXT NOT NULL, created_on TEXT NOT NULL, reuse_count INTEGER NOT NULL,
    page_count INTEGER NOT NULL, signature TEXT
);
CREATE INDEX IF NOT EXISTS documents_owner ON documents (owner_id, doc_date DESC, created_at DESC);
CREATE INDEX IF NOT EXISTS documents_number ON documents (number_symbol);
CREATE INDEX IF NOT EXISTS documents_created ON documents (created_on, agency);
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY, agency TEXT NOT NULL, procedure_code TEXT NOT NULL, owner_id TEXT NOT NULL,
    received_on TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dossiers_received ON dossiers (received_on, agency);
CREATE TABLE IF NOT EXISTS reuses (
    id TEXT PRIMARY KEY, dossier_code TEXT NOT NULL, doc_id TEXT NOT NULL, owner_id TEXT,
    agency TEXT NOT NULL, "on" TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reuses_on ON reuses ("on", agency);
CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT, action TEXT NOT NULL, record TEXT,
    route TEXT NOT NULL, detail TEXT NOT NULL, client TEXT, status INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_record ON audit (record, at);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at);
CREATE INDEX IF NOT EXISTS dossiers_owner ON dossiers (owner_id, agency);
"""
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
    "result_code", "created_at", "created_on", "reuse_count", "page_count", "signature",
)  # fmt: skip

_UPSERT = """
INSERT INTO pages (
    doc_id, page, text, folded, title, owner_id, doc_type, dossier_code, doc_date, kind, validity, agency
) VALUES (
    :doc_id, :page, :text, :folded, :title, :owner_id, :doc_type, :dossier_code, :doc_date, :kind, :validity,
    :agency
)
ON CONFLICT (doc_id, page) DO UPDATE SET
    text = excluded.text, folded = excluded.folded, title = excluded.title, owner_id = excluded.owner_id,
    doc_type = excluded.doc_type, dossier_code = excluded.dossier_code, doc_date = excluded.doc_date,
    kind = excluded.kind, validity = excluded.validity, agency = excluded.agency
"""


def _fts_groups(groups: list[list[str]]) -> str:
    # Every group is quoted: FTS5 query syntax (AND, NEAR, *, :) must never leak in from what a user typed.
    return " AND ".join('"' + " ".join(g) + '"' for g in groups)


def match_expression(parsed: ParsedQuery) -> str:
    """Every group must match folded; the as-written and whole-phrase alternatives only add to the score."""
    expr = f"folded : ({_fts_groups(parsed.folded)})"
    extras = []
    if len(parsed.folded) > 1:
        extras.append(f"(folded : ({_fts_groups([parsed.whole_phrase])}))")
    if parsed.has_marks:
        extras.append(f"(text : ({_fts_groups(parsed.exact)}))")
    if extras:
        # Each extra implies the required part (the whole phrase holds every word; words as written fold to
        # the folded words), so OR-ing them in changes no match, only adds to the bm25 of pages meeting them.
        expr = " OR ".join([f"({expr})", *extras])
    return expr


def _utc(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _row(row: sqlite3.Row) -> dict[str, object]:
    return dict(zip(row.keys(), row, strict=True))


class SqliteIndex:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        # Index files made before a column existed get it; reindex fills it.
        for table, column in (("pages", "agency"), ("documents", "signature")):
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if columns and column not in columns:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        conn.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteIndex({self.path!r})"

    def _tx(self) -> _Tx:
        return _Tx(self._conn())

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: the API serves requests from a thread pool.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def index_pages(self, pages: list[PageRecord]) -> int:
        rows = [
            {
                **p.model_dump(),
                "folded": fold(p.text),
                "doc_date": p.doc_date.isoformat() if p.doc_date else None,
            }
            for p in pages
        ]
        with self._tx() as conn:
            conn.executemany(_UPSERT, rows)
        return len(rows)

    def delete_document(self, doc_id: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))

    def count(self) -> int:
        with self._tx() as conn:
            return conn.execute("SELECT count(*) FROM pages").fetchone()[0]

    def clear(self) -> None:
        with self._tx() as conn:
            for table in ("pages", "documents", "dossiers", "reuses", "audit"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            conn.execute("INSERT INTO pages_fts (pages_fts) VALUES ('rebuild')")

    # records (search.records.RecordIndex)

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
        with self._tx() as conn:
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
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO dossiers (code, agency, procedure_code, owner_id, received_on) "
                "VALUES (:code, :agency, :procedure_code, :owner_id, :received_on)",
                [d.model_dump(mode="json") for d in dossiers],
            )

    def index_reuses(self, reuses: list[ReuseRecord]) -> None:
        with self._tx() as conn:
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

    def owner_applies_at(self, owner_id: str, agency: str) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT 1 FROM dossiers WHERE owner_id = ? AND agency = ? LIMIT 1", (owner_id, agency)
            ).fetchone()
        return row is not None

    def index_audit(self, events: list[AuditEvent]) -> None:
        rows = [
            e.model_dump(mode="json") | {"at": _utc(e.at), "detail": json.dumps(e.detail)} for e in events
        ]
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO audit (id, at, actor, role, action, record, route, detail, client, "
                "status) VALUES (:id, :at, :actor, :role, :action, :record, :route, :detail, :client, "
                ":status)",
                rows,
            )

    def audit_events(self, query: AuditQuery) -> AuditPage:
        where, params = ["1 = 1"], {"limit": query.limit, "offset": query.offset}
        if query.record:
            where.append("record = :record")
            params["record"] = query.record
        if query.actor:
            where.append("actor = :actor")
            params["actor"] = query.actor
        if query.at_from:
            where.append("at >= :at_from")
            params["at_from"] = _utc(query.at_from)
        if query.at_to:
            where.append("at < :at_to")
            params["at_to"] = _utc(query.at_to)
        cond = " AND ".join(where)
        with self._tx() as conn:
            total = conn.execute(f"SELECT count(*) FROM audit WHERE {cond}", params).fetchone()[0]  # noqa: S608
            rows = conn.execute(
                f"SELECT * FROM audit WHERE {cond} ORDER BY at DESC, id LIMIT :limit OFFSET :offset",  # noqa: S608
                params,
            ).fetchall()
        events = [AuditEvent.model_validate(_row(r) | {"detail": json.loads(r["detail"])}) for r in rows]
        return AuditPage(total=total, events=events)

    def search(self, query: SearchQuery) -> SearchResults:
        parsed = parse_query(query.text)
        if not parsed.folded:
            raise InvalidQuery("Câu tìm kiếm không có chữ hoặc số / the query has no letters or digits")
        where = ["pages_fts MATCH :match"]
        params: dict[str, object] = {
            "match": match_expression(parsed),
            "limit": query.limit,
            "offset": query.offset,
            "w": EXACT_BOOST,
        }
        for field in ("owner_id", "doc_type", "dossier_code", "agency"):
            value = getattr(query, field)
            if value is not None:
                where.append(f"p.{field} = :{field}")
                params[field] = value
        if query.date_from:
            where.append("p.doc_date >= :date_from")
            params["date_from"] = query.date_from.isoformat()
        if query.date_to:
            where.append("p.doc_date <= :date_to")
            params["date_to"] = query.date_to.isoformat()
        if len(where) == 1:
            # No filter: rank on the full-text table alone and join only the page of hits, not every match.
            ranked = (
                "SELECT rowid, bm25(pages_fts, :w, 1.0) AS score FROM pages_fts WHERE pages_fts MATCH :match "
                "ORDER BY score LIMIT :limit OFFSET :offset"
            )
            select = (
                f"SELECT p.*, r.score FROM ({ranked}) r JOIN pages p ON p.id = r.rowid "  # noqa: S608 (fixed SQL)
                "ORDER BY r.score, p.doc_id, p.page"
            )
            matching = "SELECT 1 FROM pages_fts WHERE pages_fts MATCH :match"
        else:
            base = f"FROM pages_fts JOIN pages p ON p.id = pages_fts.rowid WHERE {' AND '.join(where)}"
            select = (
                f"SELECT p.*, bm25(pages_fts, :w, 1.0) AS score {base} "
                "ORDER BY score, p.doc_id, p.page LIMIT :limit OFFSET :offset"
            )
            matching = f"SELECT 1 {base}"
        count = f"SELECT count(*) FROM ({matching} LIMIT :cap)"  # noqa: S608 (fixed SQL)
        params["cap"] = TOTAL_CAP + 1
        with self._tx() as conn:
            total = conn.execute(count, params).fetchone()[0]
            rows = conn.execute(select, params).fetchall()
        hits = [
            SearchHit(
                doc_id=r["doc_id"],
                page=r["page"],
                score=-r["score"],
                snippet=snippet(r["text"], parsed.folded, phrase=parsed.whole_phrase),
                exact=is_exact(r["text"], parsed),
                title=r["title"],
                owner_id=r["owner_id"],
                doc_type=r["doc_type"],
                dossier_code=r["dossier_code"],
                doc_date=r["doc_date"],
            )
            for r in rows
        ]
        return SearchResults(total=min(total, TOTAL_CAP), total_exact=total <= TOTAL_CAP, hits=hits)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _Tx:
    """`with` on a connection in autocommit mode: BEGIN … COMMIT, or ROLLBACK on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN")
        return self.conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
