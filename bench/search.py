"""Search benchmark: index N synthetic Vietnamese pages into SQLite and Elasticsearch, then time queries.

Prints one table, a column per backend (and per Elasticsearch target): indexing throughput and p50/p95/p99
latency of folded, exact (with diacritics), phrase and filtered queries. Pages are generated text (no OCR):
runs of words drawn from the Vietnamese sample prose by a seeded word-level Markov chain, so the vocabulary
and word frequencies are those of real administrative Vietnamese. A page is ten runs picked from a pool made
once, so that making a million pages costs seconds of Python and the indexing rate is the index's own.

    .venv/bin/python bench/search.py --pages 100000      (Elasticsearch from SOHOA_ES_URL)
    .venv/bin/python bench/search.py --pages 1000000 --backends elasticsearch \\
        --target single=http://127.0.0.1:9200 --target cluster=http://127.0.0.1:9600,http://127.0.0.1:9601
A target of several nodes gets one replica of each shard unless `--replicas NAME=N` says otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

from _table import SideBySide, percentile
from sohoa.samples.texts import sample_texts
from sohoa.search.base import PageRecord, SearchIndex, SearchQuery
from sohoa.search.elastic_hosts import es_urls
from sohoa.search.folding import fold
from sohoa.search.sqlite import SqliteIndex

DOC_TYPES = ["giay-khai-sinh", "can-cuoc", "quyet-dinh", "giay-phep", "giay-chung-nhan", "don-de-nghi"]
RUN_WORDS = 25  # words in a run of the chain; a page is PAGE_RUNS runs (250 words)
PAGE_RUNS = 10
POOL_RUNS = 20_000


def markov(texts: list[str]) -> dict[str, list[str]]:
    chain: dict[str, list[str]] = defaultdict(list)
    for text in texts:
        words = text.split()
        for a, b in itertools.pairwise(words):
            chain[a].append(b)
    return chain


def _runs(rng: random.Random, count: int) -> list[str]:
    """`count` runs of RUN_WORDS words walked along the chain, each from a random start."""
    chain = markov(sample_texts())
    starts = list(chain)
    runs = []
    for _ in range(count):
        words: list[str] = []
        word = rng.choice(starts)
        while len(words) < RUN_WORDS:
            words.append(word)
            nxt = chain.get(word)
            word = rng.choice(nxt) if nxt else rng.choice(starts)
        runs.append(" ".join(words))
    return runs


def pages(n: int, seed: int) -> Iterator[PageRecord]:
    rng = random.Random(seed)
    pool = _runs(rng, POOL_RUNS)
    owners = [
        f"{rng.randint(1, 96):03d}{rng.choice('0123')}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"
        for _ in range(n // 5 + 1)
    ]
    first = date(2020, 1, 1)
    for i in range(n):
        yield PageRecord(
            doc_id=f"{i // 3:024x}",
            page=i % 3 + 1,
            text=" ".join(rng.choices(pool, k=PAGE_RUNS)),
            owner_id=rng.choice(owners),
            doc_type=rng.choice(DOC_TYPES),
            dossier_code=f"000.00.11.H29-2509{rng.randint(1, 28):02d}-{rng.randint(1, 300):04d}",
            doc_date=first + timedelta(days=rng.randint(0, 2000)),
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


def _batches(n: int, seed: int, batch: int) -> Iterator[list[PageRecord]]:
    it = pages(n, seed)
    while chunk := list(itertools.islice(it, batch)):
        yield chunk


def run_backend(
    index: SearchIndex, n: int, seed: int, batch: int, reuse: bool = False
) -> tuple[float, dict[str, list[float]], list[str]]:
    if reuse:  # the same pages as the run that kept the index: the same owners to filter on
        owners = [p.owner_id or "" for p in itertools.islice(pages(n, seed), 5000)]
        return float("nan"), time_queries(index, seed, owners), owners
    owners: list[str] = []
    start = time.perf_counter()
    # Loaded as `sohoa reindex` loads storage into an index (SearchIndex.rebuilding: on Elasticsearch no
    # refresh per batch, then one merge), and timed to the end of that. The next batch is made while the
    # index takes the current one (its requests release the GIL).
    with index.rebuilding() as fresh, ThreadPoolExecutor(1) as ahead:
        batches = _batches(n, seed, batch)
        coming = ahead.submit(next, batches, None)
        while (chunk := coming.result()) is not None:
            coming = ahead.submit(next, batches, None)
            if len(owners) < 5000:
                owners += [p.owner_id or "" for p in chunk[: 5000 - len(owners)]]
            fresh.index_pages(chunk)
    rate = n / (time.perf_counter() - start)
    return rate, time_queries(index, seed, owners), owners


def time_queries(index: SearchIndex, seed: int, owners: list[str]) -> dict[str, list[float]]:
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
    return latencies


def _targets(args: argparse.Namespace) -> dict[str, tuple[list[str], int]]:
    """Column name → (node URLs, replicas). No --target: the one target of --es-url, named elasticsearch."""
    named = [t.partition("=") for t in args.target] or [("elasticsearch", "=", args.es_url)]
    replicas = dict(r.partition("=")[::2] for r in args.replicas)
    targets = {}
    for name, eq, urls in named:
        if not eq or not name:
            raise SystemExit(f"--target {name}: give NAME=URL[,URL...]")
        hosts = es_urls(urls)
        targets[name] = (hosts, int(replicas.pop(name, min(1, len(hosts) - 1))))
    if replicas:
        raise SystemExit(f"--replicas names no target: {', '.join(replicas)}")
    return targets


def _shards_of(index: SearchIndex) -> str:
    """The pages index's shards as the server holds them (a kept index keeps the count it was made with)."""
    client = getattr(index, "client", None)
    if client is None:
        return "-"
    found = client.indices.get_settings(index=index.index, name="index.number_of_shards").body  # type: ignore[attr-defined]
    return "+".join(each["settings"]["index"]["number_of_shards"] for each in found.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--es-url", default=os.environ.get("SOHOA_ES_URL", "http://127.0.0.1:9200"))
    parser.add_argument(
        "--target", action="append", default=[], help="NAME=URL[,URL...]: an Elasticsearch column (repeat)"
    )
    parser.add_argument("--replicas", action="append", default=[], help="NAME=N: replicas of a target")
    parser.add_argument(
        "--shards", type=int, default=int(os.environ.get("SOHOA_ES_SHARDS", "1")), help="of the pages index"
    )
    parser.add_argument("--backends", default="sqlite,elasticsearch", help="comma-separated subset")
    parser.add_argument("--batch", type=int, default=2000, help="pages per index_pages call")
    parser.add_argument("--keep", action="store_true", help="leave the Elasticsearch bench index in place")
    parser.add_argument(
        "--reuse", action="store_true", help="query a kept bench index of --pages pages instead of indexing"
    )
    args = parser.parse_args()
    wanted = args.backends.split(",")

    columns: dict[str, Callable[[], SearchIndex]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="sohoa-bench-"))
    if "sqlite" in wanted:
        columns["sqlite"] = lambda: SqliteIndex(tmp / "bench.sqlite3")
    if "elasticsearch" in wanted:
        for name, (hosts, replicas) in _targets(args).items():

            def elastic(hosts: list[str] = hosts, replicas: int = replicas) -> SearchIndex:
                from sohoa.search.elastic import ElasticIndex

                ix = ElasticIndex(
                    hosts, index="sohoa-bench-pages", replicas=replicas, shards=args.shards, timeout=120
                )
                if not args.reuse:
                    ix.clear()
                elif (held := ix.count()) != args.pages:
                    raise SystemExit(f"--reuse: the kept index holds {held:,} pages, not {args.pages:,}")
                return ix

            columns[name] = elastic
    results = {}
    shards: dict[str, str] = {}
    for name, make in columns.items():
        index = make()
        reuse = args.reuse and name != "sqlite"
        results[name] = run_backend(index, args.pages, args.seed, batch=args.batch, reuse=reuse)
        shards[name] = _shards_of(index)
        if name != "sqlite" and not args.keep:
            index.clear()
        index.close()
    shutil.rmtree(tmp)

    names = list(results)
    ratio = f"{names[1]} / {names[0]}" if len(names) == 2 else ""
    held = ", ".join(f"{name} {count}" for name, count in shards.items())
    title = f"search over {args.pages:,} pages; shards: {held} (latency ms)"
    table = SideBySide(title, names, ratio_label=ratio)
    table.row("load pages/s", [r[0] for r in results.values()], ",.0f")
    for kind in ("folded", "exact", "phrase", "filtered"):
        for p in (50, 95, 99):
            table.row(f"{kind} p{p}", [percentile(r[1][kind], p) for r in results.values()], ".1f")
    Console().print(table.table)


if __name__ == "__main__":
    main()
