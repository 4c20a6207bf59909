"""The pages of SqliteIndex: text search with SQLite FTS5 over the text as written and its folded words.

A plain table holds each page (text, folded words, filter fields); an external-content FTS5 table indexes
the two text columns and is kept in step by triggers (search.sqlite_schema). Matching runs on the folded
column; the as-written column tells which pages hold the words as typed, with their diacritics. FTS5 finds
and counts the matches; the ranking (search.ranking) is BM25 computed here on at most `rank_window` of them,
the most recently indexed, so that a query for a word on every page costs the same at 100,000 pages as at
2,000.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable

from sohoa.records.models import ValidityStatus
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
from sohoa.search.ranking import PAIR_JOIN, idf, scorer, word_string
from sohoa.search.sqlite_schema import SqliteFile

_UPSERT = """
INSERT INTO pages (
    doc_id, page, text, folded, title, owner_id, doc_type, dossier_code, doc_date, kind, validity, agency,
    valid_until, procedure_code, granted
) VALUES (
    :doc_id, :page, :text, :folded, :title, :owner_id, :doc_type, :dossier_code, :doc_date, :kind, :validity,
    :agency, :valid_until, :procedure_code, :granted
)
ON CONFLICT (doc_id, page) DO UPDATE SET
    text = excluded.text, folded = excluded.folded, title = excluded.title, owner_id = excluded.owner_id,
    doc_type = excluded.doc_type, dossier_code = excluded.dossier_code, doc_date = excluded.doc_date,
    kind = excluded.kind, validity = excluded.validity, agency = excluded.agency,
    valid_until = excluded.valid_until, procedure_code = excluded.procedure_code, granted = excluded.granted
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


def _granted(agencies: list[str]) -> str | None:
    """The granted agencies as one column, each between spaces (agency codes hold none)."""
    return f" {' '.join(agencies)} " if agencies else None


def _filters(query: SearchQuery) -> tuple[list[str], dict[str, object]]:
    conds, params = ["1 = 1"], {}
    for field in ("owner_id", "doc_type", "dossier_code", "procedure_code"):
        value = getattr(query, field)
        if value is not None:
            conds.append(f"p.{field} = :{field}")
            params[field] = value
    if query.agency is not None:
        # Its own agency's, or granted it: `granted` holds the agencies between spaces (`_granted`).
        conds.append("(p.agency = :agency OR instr(p.granted, ' ' || :agency || ' ') > 0)")
        params["agency"] = query.agency
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


# Matches ranked per query: past it, the most recently indexed this many are ranked and the rest follow in
# index order. Ranking every match of a common word over a province's pages costs more than a search may.
RANK_WINDOW = 1_000


class SqlitePages(SqliteFile):
    """Pages in, ranked hits out; SqliteIndex sets `rank_window`."""

    rank_window: int

    def index_pages(self, pages: list[PageRecord]) -> int:
        rows = [
            {
                **p.model_dump(),
                "folded": word_string(p.text),
                "doc_date": p.doc_date.isoformat() if p.doc_date else None,
                "valid_until": p.valid_until.isoformat() if p.valid_until else None,
                "granted": _granted(p.granted),
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
