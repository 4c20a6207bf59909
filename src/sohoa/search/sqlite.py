"""SqliteIndex: the embedded search backend, SQLite FTS5 over the text as written and its folded words.

A plain table holds each page (text, folded words, filter fields); an external-content FTS5 table indexes
the two text columns and is kept in step by triggers. Matching runs on the folded column; the as-written
column tells which pages hold the words as typed, with their diacritics. FTS5 finds and counts the
matches; the ranking (search.ranking) is BM25 computed here on at most `rank_window` of them, the most
recently indexed, so that a query for a word on every page costs the same at 100,000 pages as at 2,000.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType

from sohoa.records.access import AuditEvent
from sohoa.records.models import ValidityStatus
from sohoa.search import sqlite_audit, sqlite_indicators
from sohoa.search.base import (
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
from sohoa.search.highlight import snippet
from sohoa.search.ranking import PAIR_JOIN, idf, pair_string, scorer, word_string
from sohoa.search.records import (
    AuditPage,
    AuditQuery,
    DigitizationCounts,
    DocumentRecord,
    DossierRecord,
    DossierTally,
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
    agency TEXT, valid_until TEXT, procedure_code TEXT,
    UNIQUE (doc_id, page)
);
CREATE INDEX IF NOT EXISTS pages_owner ON pages (owner_id);
CREATE INDEX IF NOT EXISTS pages_dossier ON pages (dossier_code);
CREATE INDEX IF NOT EXISTS pages_type ON pages (doc_type);
-- The pairs column (neighbouring folded words as one token) is computed, not stored: a view over pages
-- calling sohoa_pairs(), a function every connection of SqliteIndex registers.
CREATE VIEW IF NOT EXISTS pages_fts_source AS
    SELECT id, text, folded, sohoa_pairs(folded) AS pairs FROM pages;
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5 (
    text, folded, pairs, content='pages_fts_source', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS pages_ai AFTER INSERT ON pages BEGIN
    INSERT INTO pages_fts (rowid, text, folded, pairs)
    VALUES (new.id, new.text, new.folded, sohoa_pairs(new.folded));
END;
CREATE TRIGGER IF NOT EXISTS pages_ad AFTER DELETE ON pages BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, text, folded, pairs)
    VALUES ('delete', old.id, old.text, old.folded, sohoa_pairs(old.folded));
END;
CREATE TRIGGER IF NOT EXISTS pages_au AFTER UPDATE ON pages BEGIN
    INSERT INTO pages_fts (pages_fts, rowid, text, folded, pairs)
    VALUES ('delete', old.id, old.text, old.folded, sohoa_pairs(old.folded));
    INSERT INTO pages_fts (rowid, text, folded, pairs)
    VALUES (new.id, new.text, new.folded, sohoa_pairs(new.folded));
END;
-- Page count and total length, for BM25's IDF and length normalization; filled once from an older file.
CREATE TABLE IF NOT EXISTS page_stats (id INTEGER PRIMARY KEY CHECK (id = 0), pages INTEGER, chars INTEGER);
INSERT OR IGNORE INTO page_stats SELECT 0, count(*), coalesce(sum(length(folded)), 0) FROM pages;
CREATE TRIGGER IF NOT EXISTS stats_ai AFTER INSERT ON pages BEGIN
    UPDATE page_stats SET pages = pages + 1, chars = chars + length(new.folded);
END;
CREATE TRIGGER IF NOT EXISTS stats_ad AFTER DELETE ON pages BEGIN
    UPDATE page_stats SET pages = pages - 1, chars = chars - length(old.folded);
END;
CREATE TRIGGER IF NOT EXISTS stats_au AFTER UPDATE OF folded ON pages BEGIN
    UPDATE page_stats SET chars = chars - length(old.folded) + length(new.folded);
END;
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, owner_id TEXT, doc_type TEXT, kind TEXT NOT NULL, title TEXT, number_symbol TEXT,
    issuer TEXT, doc_date TEXT, valid_from TEXT, valid_until TEXT, revoked INTEGER NOT NULL, revoked_on TEXT,
    revoked_reason TEXT, number_confirmed INTEGER NOT NULL, needs_review INTEGER NOT NULL, agency TEXT,
    result_code TEXT, created_at TEXT NOT NULL, created_on TEXT NOT NULL, reuse_count INTEGER NOT NULL,
    page_count INTEGER NOT NULL, signature TEXT, dossier_code TEXT
);
CREATE INDEX IF NOT EXISTS documents_owner ON documents (owner_id, doc_date DESC, created_at DESC);
CREATE INDEX IF NOT EXISTS documents_number ON documents (number_symbol);
CREATE INDEX IF NOT EXISTS documents_created ON documents (created_on, agency);
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY, agency TEXT NOT NULL, procedure_code TEXT NOT NULL, owner_id TEXT NOT NULL,
    received_on TEXT NOT NULL, status TEXT, closed_at TEXT
);
CREATE INDEX IF NOT EXISTS dossiers_received ON dossiers (received_on, agency);
CREATE TABLE IF NOT EXISTS reuses (
    id TEXT PRIMARY KEY, dossier_code TEXT NOT NULL, doc_id TEXT NOT NULL, owner_id TEXT,
    agency TEXT NOT NULL, "on" TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reuses_on ON reuses ("on", agency);
CREATE TABLE IF NOT EXISTS audit (
    id TEXT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT, action TEXT NOT NULL, record TEXT,
    route TEXT NOT NULL, detail TEXT NOT NULL, client TEXT, status INTEGER NOT NULL, owner TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_record ON audit (record, at);
CREATE INDEX IF NOT EXISTS audit_actor ON audit (actor, at);
CREATE INDEX IF NOT EXISTS dossiers_owner ON dossiers (owner_id, agency);
CREATE INDEX IF NOT EXISTS documents_dossier ON documents (dossier_code);
CREATE INDEX IF NOT EXISTS reuses_dossier ON reuses (dossier_code);
CREATE INDEX IF NOT EXISTS audit_owner ON audit (owner, at);
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
    "result_code", "created_at", "created_on", "reuse_count", "page_count", "signature", "dossier_code",
)  # fmt: skip

_UPSERT = """
INSERT INTO pages (
    doc_id, page, text, folded, title, owner_id, doc_type, dossier_code, doc_date, kind, validity, agency,
    valid_until, procedure_code
) VALUES (
    :doc_id, :page, :text, :folded, :title, :owner_id, :doc_type, :dossier_code, :doc_date, :kind, :validity,
    :agency, :valid_until, :procedure_code
)
ON CONFLICT (doc_id, page) DO UPDATE SET
    text = excluded.text, folded = excluded.folded, title = excluded.title, owner_id = excluded.owner_id,
    doc_type = excluded.doc_type, dossier_code = excluded.dossier_code, doc_date = excluded.doc_date,
    kind = excluded.kind, validity = excluded.validity, agency = excluded.agency,
    valid_until = excluded.valid_until, procedure_code = excluded.procedure_code
"""


def _folded_match(groups: list[list[str]]) -> str:
    """Every group must match folded. A phrase is looked up by its word pairs, the pairs column's single
    tokens, not by checking word positions on every page holding its words; past two words the pairs
    can come from different places, so the phrase is checked too, on the pages holding all its pairs."""
    parts = []
    for g in groups:
        if len(g) == 1:
            parts.append(f'folded : "{g[0]}"')
            continue
        pairs = " AND ".join(f'"{a}{PAIR_JOIN}{b}"' for a, b in itertools.pairwise(g))
        parts.append(f"pairs : ({pairs})" + (f" AND folded : ({_fts_groups([g])})" if len(g) > 2 else ""))
    return " AND ".join(f"({p})" for p in parts)


def _fts_groups(groups: list[list[str]]) -> str:
    # Every group is quoted: FTS5 query syntax (AND, NEAR, *, :) must never leak in from what a user typed.
    return " AND ".join('"' + " ".join(g) + '"' for g in groups)


def _filters(query: SearchQuery) -> tuple[list[str], dict[str, object]]:
    conds, params = ["1 = 1"], {}
    for field in ("owner_id", "doc_type", "dossier_code", "procedure_code", "agency"):
        value = getattr(query, field)
        if value is not None:
            conds.append(f"p.{field} = :{field}")
            params[field] = value
    if query.validity is not None:
        params["valid_on"] = query.valid_on.isoformat()
        conds.append(_VALIDITY[query.validity])
    if query.date_from:
        conds.append("p.doc_date >= :date_from")
        params["date_from"] = query.date_from.isoformat()
    if query.date_to:
        conds.append("p.doc_date <= :date_to")
        params["date_to"] = query.date_to.isoformat()
    return conds, params


# Revocation is written to every page when it happens; expiry comes with the days, so it is judged here.
_VALIDITY = {
    ValidityStatus.REVOKED: "p.validity = 'revoked'",
    ValidityStatus.EXPIRED: "p.validity IS NOT 'revoked' AND p.valid_until < :valid_on",
    ValidityStatus.VALID: (
        "p.validity IS NOT 'revoked' AND (p.valid_until IS NULL OR p.valid_until >= :valid_on)"
    ),
}


def _exact_ids(conn: sqlite3.Connection, parsed: ParsedQuery, ids: list[int]) -> set[int]:
    """Which of the pages `ids` hold every group of the query as typed, diacritics included."""
    if not parsed.has_marks or not ids:
        return set()
    params: dict[str, object] = {"m": f"text : ({_fts_groups(parsed.exact)})"}
    if len(ids) <= 100:
        params |= {f"i{n}": i for n, i in enumerate(ids)}
        within = f"rowid IN ({', '.join(f':i{n}' for n in range(len(ids)))})"
    else:  # a window of newest matches is a contiguous run of rowids among the matches
        params |= {"lo": min(ids), "hi": max(ids)}
        within = "rowid BETWEEN :lo AND :hi"
    sql = f"SELECT rowid FROM pages_fts WHERE pages_fts MATCH :m AND {within}"  # noqa: S608 (fixed SQL)
    return {r[0] for r in conn.execute(sql, params)} & set(ids)


def _utc(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _row(row: sqlite3.Row) -> dict[str, object]:
    return dict(zip(row.keys(), row, strict=True))


# 2: folded words stored as search.ranking.word_string, and the pairs column.
_VERSION = 2


def _upgrade(conn: sqlite3.Connection) -> bool:
    """Bring an index file written by an older sohoa to this layout: its folded words are rewritten and its
    full-text table dropped, to be created by the schema and rebuilt (True: rebuild it)."""
    conn.execute("BEGIN IMMEDIATE")  # one process upgrades; the others find it done
    try:
        old = (
            conn.execute("PRAGMA user_version").fetchone()[0] < _VERSION
            and conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'pages_fts'").fetchone()
        )
        if old:
            for trigger in ("pages_ai", "pages_ad", "pages_au", "stats_ai", "stats_ad", "stats_au"):
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            conn.execute("DROP TABLE pages_fts")
            conn.execute("DROP TABLE IF EXISTS page_stats")
            conn.execute("UPDATE pages SET folded = sohoa_words(text)")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return bool(old)


# Matches ranked per query: past it, the most recently indexed this many are ranked and the rest follow in
# index order. Ranking every match of a common word over a province's pages costs more than a search may.
RANK_WINDOW = 1_000


class SqliteIndex:
    def __init__(self, path: Path | str, rank_window: int = RANK_WINDOW) -> None:
        self.path = str(path)
        self.rank_window = rank_window
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        # Index files made before a column existed get it; reindex fills it.
        for table, column in (
            ("pages", "agency"),
            ("pages", "valid_until"),
            ("pages", "procedure_code"),
            ("documents", "signature"),
            ("documents", "dossier_code"),
            ("dossiers", "status"),
            ("dossiers", "closed_at"),
            ("audit", "owner"),
        ):
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if columns and column not in columns:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        rebuild = _upgrade(conn)
        conn.executescript(_SCHEMA)
        if rebuild:
            conn.execute("INSERT INTO pages_fts (pages_fts) VALUES ('rebuild')")
        conn.execute(f"PRAGMA user_version = {_VERSION}")

    def __repr__(self) -> str:
        return f"SqliteIndex({self.path!r})"

    def _tx(self, *, write: bool = False) -> _Tx:
        return _Tx(self._conn(), write=write)

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: the API serves requests from a thread pool.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.create_function("sohoa_pairs", 1, pair_string, deterministic=True)
            conn.create_function("sohoa_words", 1, word_string, deterministic=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # Searches read thousands of scattered rows: a larger page cache and memory-mapped reads keep
            # them from going through a read() call each.
            conn.execute("PRAGMA cache_size=-32768")
            conn.execute("PRAGMA mmap_size=268435456")
            self._local.conn = conn
        return conn

    def index_pages(self, pages: list[PageRecord]) -> int:
        rows = [
            {
                **p.model_dump(),
                "folded": word_string(p.text),
                "doc_date": p.doc_date.isoformat() if p.doc_date else None,
                "valid_until": p.valid_until.isoformat() if p.valid_until else None,
            }
            for p in pages
        ]
        with self._tx(write=True) as conn:
            conn.executemany(_UPSERT, rows)
        return len(rows)

    def delete_document(self, doc_id: str) -> None:
        with self._tx(write=True) as conn:
            conn.execute("DELETE FROM pages WHERE doc_id = ?", (doc_id,))

    def count(self) -> int:
        with self._tx() as conn:
            return conn.execute("SELECT count(*) FROM pages").fetchone()[0]

    def clear(self) -> None:
        with self._tx(write=True) as conn:
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
                    d.model_dump(mode="json") | {"closed_at": d.closed_at and _utc(d.closed_at)}
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
                (owner_id, agency, _utc(closed_since)),
            ).fetchone()
        return row[0] if row else None

    def index_audit(self, events: list[AuditEvent]) -> None:
        with self._tx(write=True) as conn:
            sqlite_audit.index_audit(conn, events)

    def audit_events(self, query: AuditQuery) -> AuditPage:
        with self._tx() as conn:
            return sqlite_audit.audit_events(conn, query)

    def search(self, query: SearchQuery) -> SearchResults:
        parsed = parse_query(query.text)
        if not parsed.folded:
            raise InvalidQuery("Câu tìm kiếm không có chữ hoặc số", "the query has no letters or digits")
        conds, params = _filters(query)
        params["match"] = _folded_match(parsed.folded)
        counted = "FROM pages_fts JOIN pages p ON p.id = pages_fts.rowid WHERE pages_fts MATCH :match"
        if len(conds) == 1:
            counted = "FROM pages_fts WHERE pages_fts MATCH :match"  # no filter: no page to look up
        if query.owner_id or query.dossier_code:
            # One person's or one dossier's pages are few: find them first and test each against the
            # full-text index, rather than walk every page matching a common word.
            within = f"SELECT p.id FROM pages p WHERE {' AND '.join(conds)}"  # noqa: S608 (fixed SQL)
            source = (
                "FROM pages_fts JOIN pages p ON p.id = pages_fts.rowid WHERE pages_fts MATCH :match "
                f"AND pages_fts.rowid IN ({within})"
            )
        else:
            source = " AND ".join(
                ["FROM pages_fts JOIN pages p ON p.id = pages_fts.rowid WHERE pages_fts MATCH :match", *conds]
            )
            counted = " AND ".join([counted, *conds[1:]])
        # Newest first: the window ranked is the most recently indexed matches.
        newest = f"SELECT p.id, p.doc_id, p.page, p.folded {source} ORDER BY pages_fts.rowid DESC"
        window = self.rank_window
        with self._tx() as conn:
            candidates = conn.execute(f"{newest} LIMIT :window", params | {"window": window}).fetchall()
            if len(candidates) < window:
                total = len(candidates)
            else:
                count = f"SELECT count(*) FROM (SELECT 1 {counted} LIMIT :cap)"  # noqa: S608 (fixed SQL)
                total = conn.execute(count, params | {"cap": TOTAL_CAP + 1}).fetchone()[0]
            score = self._scorer(conn, parsed, [c["id"] for c in candidates], total)
            ranked = sorted(candidates, key=lambda c: (-score(c), c["doc_id"], c["page"]))
            chosen = ranked[query.offset : query.offset + query.limit]
            scores = {c["id"]: score(c) for c in chosen}
            skip = max(query.offset, window)
            if len(candidates) == window and query.offset + query.limit > skip:
                # Past the window the matches follow in index order, so pages of results never overlap.
                beyond = conn.execute(
                    f"{newest} LIMIT :n OFFSET :skip",
                    params | {"n": query.offset + query.limit - skip, "skip": skip},
                ).fetchall()
                score = self._scorer(conn, parsed, [c["id"] for c in beyond], total)
                scores |= {c["id"]: score(c) for c in beyond}
                chosen += beyond
            marks = ", ".join("?" * len(chosen))
            rows = {
                r["id"]: r
                for r in conn.execute(f"SELECT * FROM pages WHERE id IN ({marks})", list(scores))  # noqa: S608
            }
        hits = [
            SearchHit(
                doc_id=r["doc_id"],
                page=r["page"],
                score=scores[r["id"]],
                snippet=snippet(r["text"], parsed.folded, phrase=parsed.whole_phrase),
                exact=is_exact(r["text"], parsed),
                title=r["title"],
                owner_id=r["owner_id"],
                doc_type=r["doc_type"],
                dossier_code=r["dossier_code"],
                doc_date=r["doc_date"],
            )
            for r in (rows[c["id"]] for c in chosen)
        ]
        return SearchResults(total=min(total, TOTAL_CAP), total_exact=total <= TOTAL_CAP, hits=hits)

    def _scorer(
        self, conn: sqlite3.Connection, parsed: ParsedQuery, ids: list[int], total: int
    ) -> Callable[[sqlite3.Row], float]:
        """BM25 of a candidate row (id, folded), with document frequencies counted up to a cap.

        Past the cap a word is simply common: counting further costs time and changes little. Only the
        words' relative weight orders the pages, so a query of one word needs no count, and when the
        query's matches reach the cap (with no filter, every word is on at least as many pages) neither.
        """
        pages, chars = conn.execute("SELECT pages, chars FROM page_stats").fetchone()
        words = {w for g in parsed.folded for w in g}
        cap = TOTAL_CAP + 1
        word_idf = {}
        for word in words:
            df = cap
            if len(words) > 1 and total < cap:
                df = conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM pages_fts WHERE pages_fts MATCH :m LIMIT :cap)",
                    {"m": f'folded : "{word}"', "cap": cap},
                ).fetchone()[0]
            word_idf[word] = idf(df, pages)
        rank = scorer(parsed, word_idf, chars / pages if pages else 1.0)
        exact = _exact_ids(conn, parsed, ids)
        return lambda row: rank.score(row["folded"], row["id"] in exact)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _Tx:
    """`with` on a connection in autocommit mode: BEGIN … COMMIT, or ROLLBACK on error."""

    def __init__(self, conn: sqlite3.Connection, *, write: bool = False) -> None:
        self.conn = conn
        self.write = write

    def __enter__(self) -> sqlite3.Connection:
        # A write takes the write lock at BEGIN (waiting up to the busy timeout): a deferred transaction
        # that reads first and then writes fails at once with "database is locked" when another writer
        # committed in between (WAL cannot upgrade a stale snapshot), whatever the timeout.
        self.conn.execute("BEGIN IMMEDIATE" if self.write else "BEGIN")
        return self.conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
