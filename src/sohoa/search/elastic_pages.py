"""The pages of ElasticIndex: text search on Elasticsearch. Queries follow the same rules as SqliteIndex:
every group must match folded; matches as written are boosted; snippets are cut from the text as written by
the same code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from elasticsearch import helpers

from sohoa.records.models import ValidityStatus
from sohoa.search.base import (
    EXACT_BOOST,
    PHRASE_BOOST,
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
from sohoa.search.elastic_errors import refused
from sohoa.search.elastic_schema import ElasticSchema
from sohoa.search.folding import fold
from sohoa.search.highlight import snippet


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


def search_request(query: SearchQuery, parsed: ParsedQuery) -> dict[str, Any]:
    """The search for `query`, as keyword arguments of the client's `search`: every group must match
    folded; the whole phrase and the groups as written boost; the rest are filters."""
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
        for field in ("owner_id", "doc_type", "dossier_code", "procedure_code")
        if (value := getattr(query, field)) is not None
    ]
    if query.agency is not None:  # its own agency's, or granted it
        held = [{"term": {"agency": query.agency}}, {"term": {"granted": query.agency}}]
        filters.append({"bool": {"should": held, "minimum_should_match": 1}})
    if query.validity is not None:
        filters.append(_validity_filter(query.validity, query.valid_on))
    date_range = {
        op: d.isoformat() for op, d in (("gte", query.date_from), ("lte", query.date_to)) if d is not None
    }
    if date_range:
        filters.append({"range": {"doc_date": date_range}})
    return {
        "query": {"bool": {"must": must, "should": should, "filter": filters}},
        "sort": [{"_score": "desc"}, {"doc_id": "asc"}, {"page": "asc"}],
        "from_": query.offset,
        "size": query.limit,
        "track_total_hits": TOTAL_CAP,
        # The folded text comes too: the snippet needs it, and sending the source whole is cheaper for the
        # server than cutting a field out of it.
    }


class ElasticPages(ElasticSchema):
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
        done, errors = self._guard(
            helpers.bulk, self.client, actions, refresh=self.refresh, raise_on_error=False
        )
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

    def search(self, query: SearchQuery) -> SearchResults:
        parsed = parse_query(query.text)
        response = self._guard(self.client.search, index=self.index, **search_request(query, parsed))
        hits = []
        for h in response["hits"]["hits"]:
            src = h["_source"]
            hits.append(
                SearchHit(
                    doc_id=src["doc_id"],
                    page=src["page"],
                    score=h["_score"] or 0.0,
                    snippet=snippet(
                        src["text"], parsed.folded, phrase=parsed.whole_phrase, folded=src.get("folded")
                    ),
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
