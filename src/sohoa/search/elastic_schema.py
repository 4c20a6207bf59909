"""The indices of ElasticIndex and how they are made and grown: the pages index and the record indices
beside it (search.records), with the mapping updates an index made by an older sohoa gets.

The pages' template keeps the text as written and its folded form (folded in Python: the server build used
in tests has no asciifolding, and Vietnamese needs đ → d anyway), keyword fields for codes and IDs, and the
document date.

ElasticSchema is the base of the parts of search.elastic.ElasticIndex (search.elastic_pages,
search.elastic_records): it names their indices and declares what ElasticIndex gives them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from elasticsearch import ApiError, BadRequestError, Elasticsearch

log = logging.getLogger("sohoa.search")

REFRESH_INTERVAL = "1s"  # how soon a write not refreshed by its own request becomes searchable
_TEMPLATE_BODY: dict[str, Any] = {
    "settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": REFRESH_INTERVAL},
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "doc_id": {"type": "keyword"},
            "page": {"type": "integer"},
            # index_phrases keeps each pair of neighbouring words as one term, so a two-word phrase ("ho so",
            # and the whole query that boosts pages holding it) is one term lookup rather than a walk over
            # both words' positions: at 100,000 pages it cut the server's p95 from about 50 to 20 ms.
            "text": {"type": "text", "analyzer": "standard", "index_phrases": True},
            "folded": {"type": "text", "analyzer": "standard", "index_phrases": True},
            "title": {"type": "text", "analyzer": "standard"},
            "owner_id": {"type": "keyword"},
            "doc_type": {"type": "keyword"},
            "dossier_code": {"type": "keyword"},
            "doc_date": {"type": "date", "format": "strict_date"},
            "kind": {"type": "keyword"},
            "validity": {"type": "keyword"},
            "valid_until": {"type": "date", "format": "strict_date"},
            "procedure_code": {"type": "keyword"},
            "agency": {"type": "keyword"},
            "granted": {"type": "keyword"},  # agencies that imported a dossier it is linked to
        },
    },
}


def template_body(replicas: int, shards: int = 1) -> dict[str, Any]:
    """The pages' template with `replicas` copies of each shard (SOHOA_ES_REPLICAS: 0 on one node, where
    a replica could never be placed and would only keep the cluster yellow) and `shards` shards
    (SOHOA_ES_SHARDS)."""
    settings = {**_TEMPLATE_BODY["settings"], "number_of_replicas": replicas, "number_of_shards": shards}
    return {**_TEMPLATE_BODY, "settings": settings}


_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date", "format": "strict_date"}
# The record indices beside the pages (search.records): summaries for reuse look-ups and the indicators.
RECORD_MAPPINGS: dict[str, dict[str, Any]] = {
    "documents": {
        "doc_id": _KEYWORD, "owner_id": _KEYWORD, "doc_type": _KEYWORD, "kind": _KEYWORD,
        "title": {"type": "text"}, "number_symbol": _KEYWORD, "issuer": {"type": "text"},
        "doc_date": _DATE, "valid_from": _DATE, "valid_until": _DATE, "revoked": {"type": "boolean"},
        "revoked_on": _DATE, "revoked_reason": {"type": "text"}, "number_confirmed": {"type": "boolean"},
        "signature": _KEYWORD, "needs_review": {"type": "boolean"},
        "agency": _KEYWORD, "result_code": _KEYWORD, "created_at": {"type": "date"}, "created_on": _DATE,
        "reuse_count": {"type": "integer"}, "page_count": {"type": "integer"}, "dossier_code": _KEYWORD,
    },
    "dossiers": {
        "code": _KEYWORD, "agency": _KEYWORD, "procedure_code": _KEYWORD, "owner_id": _KEYWORD,
        "received_on": _DATE, "status": _KEYWORD, "closed_at": {"type": "date"},
    },
    "reuses": {
        "id": _KEYWORD, "dossier_code": _KEYWORD, "doc_id": _KEYWORD, "owner_id": _KEYWORD,
        "agency": _KEYWORD, "on": _DATE,
    },
    "audit": {
        "id": _KEYWORD, "at": {"type": "date"}, "actor": _KEYWORD, "role": _KEYWORD, "action": _KEYWORD,
        "record": _KEYWORD, "route": _KEYWORD, "detail": {"type": "object", "enabled": False},
        "client": _KEYWORD, "status": {"type": "integer"}, "owner": _KEYWORD,
    },
}  # fmt: skip


class ElasticSchema:
    """Makes the indices, or grows an older one's mappings; every part of ElasticIndex builds on it."""

    url: str
    index: str  # the pages index; the record indices are named after it (`_records`)
    template: bool  # whether the pages index is also made from an index template named after it
    replicas: int  # copies of each shard on other nodes
    shards: int  # shards of the pages index (the record indices keep one: they are small)
    refresh: bool  # each write searchable before it returns
    client: Elasticsearch
    # ElasticIndex._guard: runs a call to the server, its transport errors turned into ServiceUnavailable.
    _guard: Callable[..., Any]

    def _records(self, kind: str) -> str:
        return f"{self.index}-{kind}"

    def _ensure_index(self) -> None:
        body = template_body(self.replicas, self.shards)
        existing = []
        for kind, properties in RECORD_MAPPINGS.items():
            name = self._records(kind)
            if self.client.indices.exists(index=name):
                # Fields added since the index was made (mappings only ever grow); reindex fills them.
                self.client.indices.put_mapping(index=name, properties=properties)
                existing.append(name)
            else:
                try:
                    self.client.indices.create(
                        index=name,
                        settings={**body["settings"], "number_of_shards": 1},
                        mappings={"dynamic": "strict", "properties": properties},
                    )
                except ApiError as exc:
                    if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                        raise
        if self.template:
            self.client.indices.put_index_template(
                name=self.index, index_patterns=[self.index], template=body, priority=100
            )
        if self.client.indices.exists(index=self.index):
            self._grow_pages_mapping()
            self._say_other_shards()
            existing.append(self.index)
        else:
            try:
                self.client.indices.create(index=self.index, **body)
            except ApiError as exc:
                if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                    raise
        self._keep_replicas(existing)

    def _keep_replicas(self, names: list[str]) -> None:
        """Indices made under another SOHOA_ES_REPLICAS take the current one: the count of replicas is a
        setting Elasticsearch changes on a live index, so a single node grown into a cluster needs no
        reindex. Asked first, so that opening an index changes the cluster's state only when needed."""
        if not names:
            return
        current = self.client.indices.get_settings(index=names, name="index.number_of_replicas")
        stale = [
            concrete
            for concrete, found in current.body.items()
            if int(found["settings"]["index"]["number_of_replicas"]) != self.replicas
        ]
        if stale:
            self.client.indices.put_settings(
                index=stale, settings={"index": {"number_of_replicas": self.replicas}}
            )

    def _say_other_shards(self) -> None:
        """An index made under another SOHOA_ES_SHARDS keeps its count (Elasticsearch fixes it when the
        index is made) and answers every query as before; `sohoa reindex` remakes it with the new one."""
        found = self.client.indices.get_settings(index=self.index, name="index.number_of_shards")
        for concrete, each in found.body.items():
            shards = int(each["settings"]["index"]["number_of_shards"])
            if shards != self.shards:
                log.warning(
                    "index %s has %d shards, SOHOA_ES_SHARDS says %d; `sohoa reindex` remakes it with %d",
                    concrete, shards, self.shards, self.shards,
                )  # fmt: skip

    def _grow_pages_mapping(self) -> None:
        pages = _TEMPLATE_BODY["mappings"]["properties"]
        try:
            self.client.indices.put_mapping(index=self.index, properties=pages)
        except BadRequestError:
            # An index made by an older release differs in a setting a mapping update cannot change
            # (index_phrases): it still answers every query, only slower, until `sohoa reindex` remakes it.
            # Keyed by the concrete index, which is not the name when the name is an alias.
            (mapping,) = self.client.indices.get_mapping(index=self.index).body.values()
            current = mapping["mappings"]["properties"]
            missing = {name: spec for name, spec in pages.items() if name not in current}
            if missing:
                self.client.indices.put_mapping(index=self.index, properties=missing)
            log.warning(
                "index %s predates the current mapping; `sohoa reindex` rebuilds it for faster phrase search",
                self.index,
            )
