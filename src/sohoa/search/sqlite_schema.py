"""The SQLite index file: its tables, how a file written by an older sohoa is brought up to date, and how
SqliteIndex opens it (one connection per thread) and runs its transactions.

SqliteFile is the base of search.sqlite.SqliteIndex: the page part (search.sqlite_pages) and the record part
(search.sqlite_records) run their SQL through its `_tx`.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sohoa.search.ranking import pair_string, word_string

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    folded TEXT NOT NULL,
    title TEXT, owner_id TEXT, doc_type TEXT, dossier_code TEXT, doc_date TEXT, kind TEXT, validity TEXT,
    agency TEXT, valid_until TEXT, procedure_code TEXT, granted TEXT,
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


def utc_text(moment: datetime) -> str:
    """A fixed-width UTC timestamp, so that text order is time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


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


# Index files made before a column existed get it; reindex fills it.
_ADDED_COLUMNS = (
    ("pages", "agency"),
    ("pages", "valid_until"),
    ("pages", "procedure_code"),
    ("pages", "granted"),
    ("documents", "signature"),
    ("documents", "dossier_code"),
    ("dossiers", "status"),
    ("dossiers", "closed_at"),
    ("audit", "owner"),
)


class SqliteFile:
    """One index file, opened and brought to the current layout."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        for table, column in _ADDED_COLUMNS:
            columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if columns and column not in columns:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        rebuild = _upgrade(conn)
        conn.executescript(_SCHEMA)
        if rebuild:
            conn.execute("INSERT INTO pages_fts (pages_fts) VALUES ('rebuild')")
        conn.execute(f"PRAGMA user_version = {_VERSION}")

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
