"""SqliteIndex: the embedded search backend, one SQLite file holding the pages for text search (FTS5) and
the records beside them (search.base.SearchIndex, the one index contract).

It is composed by concern: the file, its schema and upgrades (search.sqlite_schema), the pages and their
search (search.sqlite_pages), the records (search.sqlite_records, with search.sqlite_audit and
search.sqlite_indicators).

A full rebuild (`rebuilding`) writes a new file beside this one and then copies it into this one with
SQLite's online backup, in one write transaction: readers see the old pages or the new, never none, and
keep their connections. Renaming the new file over the old (os.replace) would not do: the old file's
write-ahead log (`-wal`, `-shm`) stays under the same name and SQLite would pair it with the new file,
which corrupts it (sqlite.org/howtocorrupt.html, "unlinking or renaming a database file while in use").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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

    @contextmanager
    def rebuilding(self) -> Iterator[SqliteIndex]:
        """An empty index file beside this one; when the block ends without error its content replaces
        this one's in one transaction. The new file is removed either way."""
        memory = self.path == ":memory:"
        build = ":memory:" if memory else f"{self.path}.rebuild-{uuid.uuid4().hex[:8]}"
        fresh = SqliteIndex(build, rank_window=self.rank_window)
        try:
            yield fresh
            fresh._conn().backup(self._conn())
        finally:
            fresh.close()
            for suffix in () if memory else ("", "-wal", "-shm"):
                Path(build + suffix).unlink(missing_ok=True)
