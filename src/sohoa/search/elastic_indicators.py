"""The dossier tallies behind the Decision 766 indicators, on Elasticsearch (search.records DossierTally).

Elasticsearch has no join: the dossiers received over the period are read in code order, and for each
chunk of them the documents scanned for them and the reuses made for them, a page at a time (search_after),
so the same tallies come out as from SqliteIndex's one query, at any number of dossiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from sohoa.search.records import DossierTally

Search = Callable[..., Any]  # client.search behind ElasticIndex's guard
_PAGE = 5_000
_CHUNK = 1_000  # dossier codes per terms filter (Elasticsearch's limit is 65,536)


def _every(search: Search, index: str, query: dict[str, Any], key: str, fields: list[str]) -> Iterator[dict]:
    """Every matching record's source, in `key` order, a page at a time."""
    after: list[Any] | None = None
    while True:
        extra = {"search_after": after} if after is not None else {}
        hits = search(index=index, query=query, sort=[{key: "asc"}], size=_PAGE, source=fields, **extra)
        hits = hits["hits"]["hits"]
        yield from (h["_source"] for h in hits)
        if len(hits) < _PAGE:
            return
        after = hits[-1]["sort"]


def dossier_tallies(
    search: Search, index_of: Callable[[str], str], date_from: date, date_to: date, agency: str | None
) -> list[DossierTally]:
    filters: list[dict[str, Any]] = [
        {"range": {"received_on": {"gte": date_from.isoformat(), "lte": date_to.isoformat()}}}
    ]
    if agency:
        filters.append({"term": {"agency": agency}})
    dossiers = list(
        _every(
            search,
            index_of("dossiers"),
            {"bool": {"filter": filters}},
            "code",
            ["code", "agency", "received_on", "status"],
        )
    )
    scanned: dict[str, list[tuple[str, str]]] = defaultdict(list)  # dossier → (doc_id, kind)
    reused: dict[str, set[str]] = defaultdict(set)  # dossier → doc ids
    codes = [d["code"] for d in dossiers]
    for start in range(0, len(codes), _CHUNK):
        within = {"terms": {"dossier_code": codes[start : start + _CHUNK]}}
        for doc in _every(
            search, index_of("documents"), within, "doc_id", ["doc_id", "dossier_code", "kind"]
        ):
            scanned[doc["dossier_code"]].append((doc["doc_id"], doc["kind"]))
        for reuse in _every(search, index_of("reuses"), within, "id", ["dossier_code", "doc_id"]):
            reused[reuse["dossier_code"]].add(reuse["doc_id"])
    return [
        DossierTally(
            code=d["code"],
            agency=d["agency"],
            received_on=d["received_on"],
            status=d.get("status") or "received",
            components=sum(
                1
                for doc_id, kind in scanned[d["code"]]
                if kind == "component" and doc_id not in reused[d["code"]]
            ),
            results=sum(1 for _, kind in scanned[d["code"]] if kind == "result"),
            reused=len(reused[d["code"]]),
        )
        for d in dossiers
    ]
