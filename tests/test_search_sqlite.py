"""What only the embedded index does: rank a bounded window of matches, and upgrade older index files."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from datetime import date
from pathlib import Path

from sohoa.search import PageRecord, SearchQuery
from sohoa.search.folding import fold
from sohoa.search.sqlite import SqliteIndex


def _pages(n: int) -> list[PageRecord]:
    # Page i holds "hồ sơ" i + 1 times: the more recent, the higher its BM25.
    return [
        PageRecord(doc_id=f"d{i:02d}", page=1, text=" ".join(["hồ sơ nộp tại quầy."] * (i + 1)))
        for i in range(n)
    ]


def test_past_the_window_results_follow_in_index_order_without_overlap(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "i.sqlite3", rank_window=5)
    pages = _pages(12)
    index.index_pages(list(reversed(pages)))  # d11 indexed first, d00 last: the window is d04 … d00
    seen = []
    for offset in (0, 4, 8):
        result = index.search(SearchQuery(text="ho so", limit=4, offset=offset))
        assert (result.total, result.total_exact) == (12, True)
        seen += [h.doc_id for h in result.hits]
    assert sorted(seen) == sorted(p.doc_id for p in pages)  # every match once
    # The window, ranked by BM25 (more "hồ sơ" first), then the rest newest first.
    assert seen[:5] == ["d04", "d03", "d02", "d01", "d00"]
    assert seen[5:] == [f"d{i:02d}" for i in range(5, 12)]


def test_within_the_window_ranking_is_bm25(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "i.sqlite3", rank_window=50)
    index.index_pages(_pages(12))
    hits = index.search(SearchQuery(text="ho so", limit=12)).hits
    assert [h.doc_id for h in hits] == [f"d{i:02d}" for i in reversed(range(12))]
    assert all(a.score > b.score for a, b in itertools.pairwise(hits))


def test_an_index_file_from_an_older_sohoa_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    # The layout before the pairs column: two full-text columns, the folded column holding fold(text).
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE pages (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, page INTEGER NOT NULL,
                text TEXT NOT NULL, folded TEXT NOT NULL, title TEXT, owner_id TEXT, doc_type TEXT,
                dossier_code TEXT, doc_date TEXT, kind TEXT, validity TEXT, agency TEXT,
                UNIQUE (doc_id, page));
            CREATE VIRTUAL TABLE pages_fts USING fts5 (text, folded, content='pages', content_rowid='id',
                tokenize='unicode61 remove_diacritics 0');
            CREATE TRIGGER pages_ai AFTER INSERT ON pages BEGIN
                INSERT INTO pages_fts (rowid, text, folded) VALUES (new.id, new.text, new.folded);
            END;
            """
        )
        text = "Giấy khai sinh, bản sao. Thủ tục hành chính công."
        conn.execute(
            "INSERT INTO pages (doc_id, page, text, folded) VALUES ('old', 1, ?, ?)", (text, fold(text))
        )
    index = SqliteIndex(path)
    assert [h.doc_id for h in index.search(SearchQuery(text='"thu tuc hanh chinh"')).hits] == ["old"]
    assert index.search(SearchQuery(text="giấy khai sinh")).hits[0].exact
    index.index_pages([PageRecord(doc_id="new", page=1, text="Giấy khai sinh mới.")])
    assert {h.doc_id for h in index.search(SearchQuery(text="khai sinh")).hits} == {"old", "new"}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2


def test_writers_side_by_side_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    # The API writes the index from a thread pool: eight threads indexing at once must all get through
    # (a transaction that only later asks for the write lock failed with "database is locked").
    index = SqliteIndex(tmp_path / "index.sqlite3")
    errors: list[str] = []

    def write(thread: int) -> None:
        for n in range(40):
            page = PageRecord(
                doc_id=f"{thread:02d}{n:022d}",
                page=1,
                text="hồ sơ một cửa " * 40,
                doc_date=date(2025, 1, 1),
                kind="component",
                validity="valid",
            )
            try:
                index.index_pages([page])
            except sqlite3.OperationalError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert index.count() == 8 * 40
