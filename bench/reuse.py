"""Reuse look-up benchmark: N document summaries of M owners in SQLite and Elasticsearch, then time the
look-up an officer runs at the counter ("this applicant's reusable documents").

What is timed is `sohoa.archive.dossiers.owner_documents`, the same call behind
`GET /api/v1/owners/{id}/documents` and `sohoa reuse`: the index query plus the validity and reusability
verdict per document. Half the look-ups also filter by document type. Owners are drawn at random (most
have about N/M documents; the generator gives some many more, as a business with dozens of permits would).

    .venv/bin/python bench/reuse.py --docs 100000 --owners 20000     (Elasticsearch from SOHOA_ES_URL)
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from _table import SideBySide, percentile
from sohoa.archive.dossiers import owner_documents
from sohoa.records.doctypes import DOC_TYPES
from sohoa.search.base import SearchIndex
from sohoa.search.records import DocumentRecord
from sohoa.search.sqlite import SqliteIndex

RESULT_TYPES = {"quyet-dinh", "giay-phep", "giay-chung-nhan"}


def owner_ids(n: int, rng: random.Random) -> list[str]:
    return [f"{rng.randint(1, 96):03d}{rng.choice('0123')}{rng.randint(0, 99):02d}{i:06d}" for i in range(n)]


def documents(n: int, owners: list[str], seed: int) -> Iterator[DocumentRecord]:
    rng = random.Random(seed)
    slugs = [t.slug for t in DOC_TYPES]
    heavy = owners[: max(1, len(owners) // 100)]  # 1% of owners (firms) hold about a tenth of the papers
    for i in range(n):
        owner = rng.choice(heavy) if rng.random() < 0.1 else rng.choice(owners)
        doc_type = rng.choice(slugs)
        kind = "result" if doc_type in RESULT_TYPES else "component"
        signed = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3900))
        revoked = kind == "result" and rng.random() < 0.03
        yield DocumentRecord(
            doc_id=f"{i:024x}",
            owner_id=owner,
            doc_type=doc_type,
            kind=kind,
            title=f"Giấy tờ số {i}",
            number_symbol=f"{i}/QĐ-UBND" if kind == "result" else None,
            issuer="UBND huyện Gia Lâm" if kind == "result" else None,
            doc_date=signed,
            valid_from=signed if kind == "result" else None,
            valid_until=signed + timedelta(days=365 * rng.choice([1, 5, 10])) if kind == "result" else None,
            revoked=revoked,
            revoked_on=signed + timedelta(days=30) if revoked else None,
            revoked_reason="Thu hồi theo quyết định" if revoked else None,
            agency=f"000.00.{rng.randint(1, 30):02d}.H29",
            result_code=f"{doc_type}.{owner}.{i}" if kind == "result" else None,
            created_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
            page_count=rng.randint(1, 4),
        )


def run_backend(
    index: SearchIndex, n: int, owners: list[str], seed: int, lookups: int
) -> tuple[float, list[float], float]:
    start = time.perf_counter()
    chunk: list[DocumentRecord] = []
    for record in documents(n, owners, seed):
        chunk.append(record)
        if len(chunk) >= 5000:
            index.index_documents(chunk)  # type: ignore[attr-defined]
            chunk = []
    if chunk:
        index.index_documents(chunk)  # type: ignore[attr-defined]
    rate = n / (time.perf_counter() - start)

    rng = random.Random(seed + 1)
    slugs = [t.slug for t in DOC_TYPES]
    asks = [(rng.choice(owners), rng.choice(slugs) if i % 2 else None) for i in range(lookups)]
    for owner, doc_type in asks[:50]:  # warm caches
        owner_documents(index, owner, doc_type=doc_type)
    times: list[float] = []
    found = 0
    for owner, doc_type in asks:
        t = time.perf_counter()
        hits = owner_documents(index, owner, doc_type=doc_type)
        times.append((time.perf_counter() - t) * 1000)
        found += len(hits)
    return rate, times, found / len(asks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--es-url", default=os.environ.get("SOHOA_ES_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--backends", default="sqlite,elasticsearch", help="comma-separated subset")
    args = parser.parse_args()

    owners = owner_ids(args.owners, random.Random(args.seed))
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))

    def elastic() -> SearchIndex:
        from sohoa.search.elastic import ElasticIndex

        ix = ElasticIndex(args.es_url, index="sohoa-bench-reuse")
        ix.drop()
        return ElasticIndex(args.es_url, index="sohoa-bench-reuse")

    makers: dict[str, Callable[[], SearchIndex]] = {
        "sqlite": lambda: SqliteIndex(tmp / "bench.sqlite3"),
        "elasticsearch": elastic,
    }
    results = {}
    for name in args.backends.split(","):
        index = makers[name]()
        results[name] = run_backend(index, args.docs, owners, args.seed, args.lookups)
        if name == "elasticsearch":
            index.drop()  # type: ignore[attr-defined]
        index.close()

    table = SideBySide(
        f"owner look-up: {args.docs:,} documents of {args.owners:,} owners (ms)", list(results)
    )
    table.row("index docs/s", [r[0] for r in results.values()], ",.0f")
    table.row("documents per look-up", [r[2] for r in results.values()], ".1f")
    for p in (50, 95, 99):
        table.row(f"look-up p{p}", [percentile(r[1], p) for r in results.values()], ".2f")
    Console().print(table.table)


if __name__ == "__main__":
    main()
