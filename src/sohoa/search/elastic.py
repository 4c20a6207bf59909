"""ElasticIndex: the production search backend, Elasticsearch.

The index template keeps the text as written and its folded form (folded here in Python: the server build
used in tests has no asciifolding, and Vietnamese needs đ → d anyway), keyword fields for codes and IDs, and
the document date. Queries follow the same rules as SqliteIndex: every group must match folded; matches as
written are boosted; snippets are cut from the text as written by the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from elasticsearch import ApiError, BadRequestError, Elasticsearch, helpers

from sohoa.records.access import AuditEvent
from sohoa.records.models import ValidityStatus
from sohoa.search import elastic_audit, elastic_indicators
from sohoa.search.base import (
    EXACT_BOOST,
    PHRASE_BOOST,
    TOTAL_CAP,
    InvalidQuery,
    PageRecord,
    SearchHit,
    SearchQuery,
    SearchResults,
    is_exact,
    parse_query,
)
from sohoa.search.elastic_errors import refused, translated
from sohoa.search.folding import fold
from sohoa.search.highlight import snippet
from sohoa.search.records import (
    AuditPage,
    AuditQuery,
    DigitizationCounts,
    DocumentRecord,
    DossierRecord,
    DossierTally,
    ReuseRecord,
)

T = TypeVar("T")
log = logging.getLogger("sohoa.search")
_TEMPLATE_BODY: dict[str, Any] = {
    "settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"},
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
        },
    },
}


def _validity_filter(validity: ValidityStatus, day: date) -> dict[str, Any]:
    """The same judgement as SqliteIndex: revoked is written to the pages, expiry is judged on `day`."""
    revoked = {"term": {"validity": ValidityStatus.REVOKED.value}}
    if validity is ValidityStatus.REVOKED:
        return revoked
    if validity is ValidityStatus.EXPIRED:
        past = {"range": {"valid_until": {"lt": day.isoformat()}}}
        return {"bool": {"must_not": [revoked], "filter": [past]}}
    lasting = {"bool": {"must_not": [{"exists": {"field": "valid_until"}}]}}
    still = {"range": {"valid_until": {"gte": day.isoformat()}}}
    return {"bool": {"must_not": [revoked], "should": [lasting, still], "minimum_should_match": 1}}


_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date", "format": "strict_date"}
# The record indices beside the pages (search.records): summaries for reuse look-ups and the indicators.
_RECORD_MAPPINGS: dict[str, dict[str, Any]] = {
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


class ElasticIndex:
    def __init__(self, url: str, *, index: str = "sohoa-pages", timeout: float = 30) -> None:
        self.url = url
        self.index = index
        self.client = Elasticsearch(url, request_timeout=timeout, retry_on_timeout=True, max_retries=3)
        self._absent = self.client.options(ignore_status=404)  # deleting what is already gone is done
        self._guard(self._ensure_index)

    def __repr__(self) -> str:
        return f"ElasticIndex({self.url!r}, index={self.index!r})"

    def _guard(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with translated(self.url):
            return fn(*args, **kwargs)

    def _records(self, kind: str) -> str:
        return f"{self.index}-{kind}"

    def _ensure_index(self) -> None:
        for kind, properties in _RECORD_MAPPINGS.items():
            name = self._records(kind)
            if self.client.indices.exists(index=name):
                # Fields added since the index was made (mappings only ever grow); reindex fills them.
                self.client.indices.put_mapping(index=name, properties=properties)
            else:
                try:
                    self.client.indices.create(
                        index=name,
                        settings=_TEMPLATE_BODY["settings"],
                        mappings={"dynamic": "strict", "properties": properties},
                    )
                except ApiError as exc:
                    if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                        raise
        self.client.indices.put_index_template(
            name=self.index, index_patterns=[self.index], template=_TEMPLATE_BODY, priority=100
        )
        if self.client.indices.exists(index=self.index):
            self._grow_pages_mapping()
        else:
            try:
                self.client.indices.create(index=self.index)
            except ApiError as exc:
                if exc.meta.status != 400 or "resource_already_exists" not in str(exc):
                    raise

    def _grow_pages_mapping(self) -> None:
        pages = _TEMPLATE_BODY["mappings"]["properties"]
        try:
            self.client.indices.put_mapping(index=self.index, properties=pages)
        except BadRequestError:
            # An index made by an older release differs in a setting a mapping update cannot change
            # (index_phrases): it still answers every query, only slower, until `sohoa reindex` remakes it.
            current = self.client.indices.get_mapping(index=self.index)[self.index]["mappings"]["properties"]
            missing = {name: spec for name, spec in pages.items() if name not in current}
            if missing:
                self.client.indices.put_mapping(index=self.index, properties=missing)
            log.warning(
                "index %s predates the current mapping; `sohoa reindex` rebuilds it for faster phrase search",
                self.index,
            )

    def index_pages(self, pages: list[PageRecord]) -> int:
        actions = (
            {
                "_index": self.index,
                "_id": f"{p.doc_id}:{p.page}",
                "_source": {
                    **p.model_dump(mode="json"),
                    "folded": fold(p.text),
                },
            }
            for p in pages
        )
        done, errors = self._guard(helpers.bulk, self.client, actions, refresh=True, raise_on_error=False)
        if errors:
            raise refused(f"{len(errors)} pages", errors[:1])
        return done

    def delete_document(self, doc_id: str) -> None:
        # The integ-test-zip has no reindex module, so no delete-by-query: find the page ids, delete in bulk.
        found = self._guard(
            self.client.search,
            index=self.index,
            query={"term": {"doc_id": doc_id}},
            size=10_000,
            source=False,
        )
        ids = [h["_id"] for h in found["hits"]["hits"]]
        actions = [{"_op_type": "delete", "_index": self.index, "_id": i} for i in ids]
        if actions:
            self._guard(helpers.bulk, self.client, actions, refresh=True)

    def count(self) -> int:
        self._guard(self.client.indices.refresh, index=self.index)
        return self._guard(self.client.count, index=self.index)["count"]

    def clear(self) -> None:
        for name in (self.index, *(self._records(kind) for kind in _RECORD_MAPPINGS)):
            self._guard(self._absent.indices.delete, index=name)
        self._guard(self._ensure_index)

    def drop(self) -> None:
        """Remove the indices and the template altogether (tests, and uninstalling)."""
        for name in (self.index, *(self._records(kind) for kind in _RECORD_MAPPINGS)):
            self._guard(self._absent.indices.delete, index=name)
        self._guard(self._absent.indices.delete_index_template, name=self.index)

    # records (search.records.RecordIndex)

    def _bulk(self, kind: str, docs: list[tuple[str, dict[str, Any]]]) -> None:
        actions = [{"_index": self._records(kind), "_id": i, "_source": src} for i, src in docs]
        if not actions:
            return
        _, errors = self._guard(helpers.bulk, self.client, actions, refresh=True, raise_on_error=False)
        if errors:
            raise refused(f"{len(errors)} {kind}", errors[:1])

    def index_documents(self, documents: list[DocumentRecord]) -> None:
        self._bulk(
            "documents",
            [
                (d.doc_id, {**d.model_dump(mode="json"), "created_on": d.created_at.date().isoformat()})
                for d in documents
            ],
        )

    def _documents(self, filters: list[dict[str, Any]], limit: int) -> list[DocumentRecord]:
        response = self._guard(
            self.client.search,
            index=self._records("documents"),
            query={"bool": {"filter": filters}},
            sort=[
                {"doc_date": {"order": "desc", "missing": "_last"}},
                {"created_at": "desc"},
                {"doc_id": "asc"},
            ],
            size=limit,
            source_excludes=["created_on"],
        )
        return [DocumentRecord.model_validate(h["_source"]) for h in response["hits"]["hits"]]

    def owner_documents(
        self, owner_id: str, doc_type: str | None = None, limit: int = 200
    ) -> list[DocumentRecord]:
        filters: list[dict[str, Any]] = [{"term": {"owner_id": owner_id}}]
        if doc_type:
            filters.append({"term": {"doc_type": doc_type}})
        return self._documents(filters, limit)

    def documents_by_number(self, number_symbol: str) -> list[DocumentRecord]:
        return self._documents([{"term": {"number_symbol": number_symbol}}], 200)

    def index_dossiers(self, dossiers: list[DossierRecord]) -> None:
        self._bulk("dossiers", [(d.code, d.model_dump(mode="json")) for d in dossiers])

    def index_reuses(self, reuses: list[ReuseRecord]) -> None:
        self._bulk("reuses", [(r.id, r.model_dump(mode="json")) for r in reuses])

    def digitization_counts(
        self, date_from: date, date_to: date, agency: str | None = None
    ) -> DigitizationCounts:
        def count(kind: str, field: str, extra: list[dict[str, Any]] | None = None) -> int:
            filters: list[dict[str, Any]] = [
                {"range": {field: {"gte": date_from.isoformat(), "lte": date_to.isoformat()}}},
                *(extra or []),
            ]
            if agency:
                filters.append({"term": {"agency": agency}})
            body = {"bool": {"filter": filters}}
            return self._guard(self.client.count, index=self._records(kind), query=body)["count"]

        components = count("documents", "created_on", [{"term": {"kind": "component"}}])
        results = count("documents", "created_on", [{"term": {"kind": "result"}}])
        return DigitizationCounts(
            dossiers=count("dossiers", "received_on"),
            documents=components + results,
            components=components,
            results=results,
            reuses=count("reuses", "on"),
        )

    def dossier_tallies(
        self, date_from: date, date_to: date, agency: str | None = None
    ) -> list[DossierTally]:
        def search(**kwargs: Any) -> Any:
            return self._guard(self.client.search, **kwargs)

        return elastic_indicators.dossier_tallies(search, self._records, date_from, date_to, agency)

    def access_dossier(self, owner_id: str, agency: str, closed_since: datetime) -> str | None:
        # Open: status received/processing, or none (a record indexed before statuses were kept).
        still = [
            {"terms": {"status": ["received", "processing"]}},
            {"bool": {"must_not": {"exists": {"field": "status"}}}},
            {"range": {"closed_at": {"gte": closed_since.isoformat()}}},
        ]
        mine = [{"term": {"owner_id": owner_id}}, {"term": {"agency": agency}}]
        found = self._guard(
            self.client.search,
            index=self._records("dossiers"),
            query={"bool": {"filter": mine, "should": still, "minimum_should_match": 1}},
            sort=[{"received_on": "desc"}, {"code": "desc"}],
            size=1,
        )
        hits = found["hits"]["hits"]
        return hits[0]["_source"]["code"] if hits else None

    def index_audit(self, events: list[AuditEvent]) -> None:
        self._bulk("audit", [(e.id, e.model_dump(mode="json")) for e in events])

    def audit_events(self, query: AuditQuery) -> AuditPage:
        def search(**kwargs: Any) -> Any:
            return self._guard(self.client.search, index=self._records("audit"), **kwargs)

        return elastic_audit.audit_events(search, query)

    def search(self, query: SearchQuery) -> SearchResults:
        parsed = parse_query(query.text)
        if not parsed.folded:
            raise InvalidQuery("Câu tìm kiếm không có chữ hoặc số", "the query has no letters or digits")
        must = [{"match_phrase": {"folded": " ".join(g)}} for g in parsed.folded]
        should: list[dict[str, Any]] = []
        if len(parsed.folded) > 1:
            phrase = " ".join(parsed.whole_phrase)
            should.append({"match_phrase": {"folded": {"query": phrase, "boost": PHRASE_BOOST}}})
        if parsed.has_marks:
            should += [
                {"match_phrase": {"text": {"query": " ".join(g), "boost": EXACT_BOOST}}} for g in parsed.exact
            ]
        filters: list[dict[str, Any]] = [
            {"term": {field: value}}
            for field in ("owner_id", "doc_type", "dossier_code", "procedure_code", "agency")
            if (value := getattr(query, field)) is not None
        ]
        if query.validity is not None:
            filters.append(_validity_filter(query.validity, query.valid_on))
        date_range = {
            op: d.isoformat() for op, d in (("gte", query.date_from), ("lte", query.date_to)) if d is not None
        }
        if date_range:
            filters.append({"range": {"doc_date": date_range}})
        response = self._guard(
            self.client.search,
            index=self.index,
            query={"bool": {"must": must, "should": should, "filter": filters}},
            sort=[{"_score": "desc"}, {"doc_id": "asc"}, {"page": "asc"}],
            from_=query.offset,
            size=query.limit,
            track_total_hits=TOTAL_CAP,
            source_excludes=["folded"],
        )
        hits = []
        for h in response["hits"]["hits"]:
            src = h["_source"]
            hits.append(
                SearchHit(
                    doc_id=src["doc_id"],
                    page=src["page"],
                    score=h["_score"] or 0.0,
                    snippet=snippet(src["text"], parsed.folded, phrase=parsed.whole_phrase),
                    exact=is_exact(src["text"], parsed),
                    title=src.get("title"),
                    owner_id=src.get("owner_id"),
                    doc_type=src.get("doc_type"),
                    dossier_code=src.get("dossier_code"),
                    doc_date=src.get("doc_date"),
                )
            )
        total = response["hits"]["total"]
        return SearchResults(total=total["value"], total_exact=total["relation"] == "eq", hits=hits)

    def close(self) -> None:
        self.client.close()
