"""The records of ElasticIndex beside its pages (search.records), one index each: document summaries,
dossiers and reuse events for the reuse look-ups, the officers' access and the indicators, and the audit
trail (its queries in search.elastic_audit; the dossier tallies in search.elastic_indicators).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from elasticsearch import helpers

from sohoa.records.access import AuditEvent
from sohoa.search import elastic_audit, elastic_indicators
from sohoa.search.elastic_errors import refused
from sohoa.search.elastic_schema import ElasticSchema
from sohoa.search.records import (
    AuditPage,
    AuditQuery,
    DigitizationCounts,
    DocumentRecord,
    DossierRecord,
    DossierTally,
    ReuseRecord,
)


class ElasticRecords(ElasticSchema):
    def _bulk(self, kind: str, docs: list[tuple[str, dict[str, Any]]]) -> None:
        actions = [{"_index": self._records(kind), "_id": i, "_source": src} for i, src in docs]
        if not actions:
            return
        _, errors = self._guard(
            helpers.bulk, self.client, actions, refresh=self.refresh, raise_on_error=False
        )
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
