"""Search benchmark: index N synthetic Vietnamese pages into SQLite and Elasticsearch, then time queries.

Prints a table per backend: indexing throughput and p50/p95/p99 latency of folded, exact (with diacritics),
phrase and filtered queries, and the ratio of Elasticsearch to SQLite. Pages are generated text (no OCR):
sentences drawn from the Vietnamese sample prose by a seeded word-level Markov chain, so the vocabulary and
word frequencies are those of real administrative Vietnamese.

    .venv/bin/python bench/search.py --pages 100000      (Elasticsearch from SOHOA_ES_URL)
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from _table import SideBySide, percentile
from sohoa.samples.texts import sample_texts
from sohoa.search.base import PageRecord, SearchIndex, SearchQuery
from sohoa.search.folding import fold
from sohoa.search.sqlite import SqliteIndex

DOC_TYPES = ["giay-khai-sinh", "can-cuoc", "quyet-dinh", "giay-phep", "giay-chung-nhan", "don-de-nghi"]


def markov(texts: list[str]) -> dict[str, list[str]]:
    chain: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        words = text.split()
        for a, b in itertools.pairwise(words):
            chain[a].append(b)
    return chain


def pages(n: int, seed: int) -> Iterator[PageRecord]:
    rng = random.Random(seed)
    chain = markov(sample_texts())
    starts = list(chain)
    owners = [
        f"{rng.randint(1, 96):03d}{rng.choice('0123')}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"
        for _ in range(n // 5 + 1)
    ]
    for i in range(n):
        words: list[str] = []
        word = rng.choice(starts)
        while len(words) < 250:
            words.append(word)
            nxt = chain.get(word)
            word = rng.choice(nxt) if nxt else rng.choice(starts)
        yield PageRecord(
            doc_id=f"{i // 3:024x}",
            page=i % 3 + 1,
            text=" ".join(words),
            owner_id=rng.choice(owners),
            doc_type=rng.choice(DOC_TYPES),
            dossier_code=f"000.00.11.H29-2509{rng.randint(1, 28):02d}-{rng.randint(1, 300):04d}",
            doc_date=date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000)),
        )


def queries(seed: int, owners: list[str]) -> dict[str, list[SearchQuery]]:
    rng = random.Random(seed)
    texts = sample_texts()
    words = [w for t in texts for w in t.split() if len(w) > 2 and w.isalpha()]
    phrases = []
    for t in texts:
        ws = [w for w in t.split() if w.isalpha()]
        for j in range(len(ws) - 1):
            phrases.append(f"{ws[j]} {ws[j + 1]}")
    return {
        "folded": [SearchQuery(text=fold(" ".join(rng.sample(words, 2)))) for _ in range(200)],
        "exact": [SearchQuery(text=" ".join(rng.sample(words, 2))) for _ in range(200)],
        "phrase": [SearchQuery(text=f'"{rng.choice(phrases)}"') for _ in range(200)],
        "filtered": [
            SearchQuery(text=fold(rng.choice(words)), owner_id=rng.choice(owners), date_from=date(2022, 1, 1))
            for _ in range(200)
        ],
    }


def run_backend(
    index: SearchIndex, n: int, seed: int, batch: int
) -> tuple[float, dict[str, list[float]], list[str]]:
    owners: list[str] = []
    start = time.perf_counter()
    chunk: list[PageRecord] = []
    for page in pages(n, seed):
        chunk.append(page)
        if len(owners) < 5000:
            owners.append(page.owner_id or "")
        if len(chunk) >= batch:
            index.index_pages(chunk)
            chunk = []
    if chunk:
        index.index_pages(chunk)
    rate = n / (time.perf_counter() - start)
    latencies: dict[str, list[float]] = {}
    for kind, qs in queries(seed, owners).items():
        for q in qs[:10]:  # warm caches
            index.search(q)
        times = []
        for q in qs:
            t = time.perf_counter()
            index.search(q)
            times.append((time.perf_counter() - t) * 1000)
        latencies[kind] = times
    return rate, latencies, owners


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--es-url", default=os.environ.get("SOHOA_ES_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--backends", default="sqlite,elasticsearch", help="comma-separated subset")
    args = parser.parse_args()

    backends: dict[str, Callable[[], SearchIndex]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    backends["sqlite"] = lambda: SqliteIndex(tmp / "bench.sqlite3")

    def elastic() -> SearchIndex:
        from sohoa.search.elastic import ElasticIndex

        ix = ElasticIndex(args.es_url, index="sohoa-bench-pages")
        ix.clear()
        return ix

    backends["elasticsearch"] = elastic
    backends = {name: make for name, make in backends.items() if name in args.backends.split(",")}
    results = {}
    for name, make in backends.items():
        index = make()
        results[name] = run_backend(index, args.pages, args.seed, batch=2000)
        if name == "elasticsearch":
            index.clear()
        index.close()

    table = SideBySide(f"search over {args.pages:,} pages (latency ms)", list(results))
    table.row("index pages/s", [r[0] for r in results.values()], ",.0f")
    for kind in ("folded", "exact", "phrase", "filtered"):
        for p in (50, 95, 99):
            table.row(f"{kind} p{p}", [percentile(r[1][kind], p) for r in results.values()], ".1f")
    Console().print(table.table)


if __name__ == "__main__":
    main()
