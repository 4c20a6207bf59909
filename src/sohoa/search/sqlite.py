"""SqliteIndex: the embedded search backend, one SQLite file holding the pages for text search (FTS5) and
the records beside them (search.base.SearchIndex, the one index contract).

It is composed by concern: the file, its schema and upgrades (search.sqlite_schema), the pages and their
search (search.sqlite_pages), the records (search.sqlite_records, with search.sqlite_audit and
search.sqlite_indicators).
"""

from __future__ import annotations

from pathlib import Path

from sohoa.search.sqlite_pages import RANK_WINDOW, SqlitePages
from sohoa.search.sqlite_records import SqliteRecords


class SqliteIndex(SqlitePages, SqliteRecords):
    def __init__(self, path: Path | str, rank_window: int = RANK_WINDOW) -> None:
        self.rank_window = rank_window
        super().__init__(path)

    def __repr__(self) -> str:
        return f"SqliteIndex({self.path!r})"

    def clear(self) -> None:
        with self._tx(write=True) as conn:
            for table in ("pages", "documents", "dossiers", "reuses", "audit"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            conn.execute("INSERT INTO pages_fts (pages_fts) VALUES ('rebuild')")
