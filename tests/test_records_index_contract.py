"""The RecordIndex contract (document summaries, dossiers, reuse events), run against SQLite and
Elasticsearch: same inputs, same answers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sohoa.search import SearchIndex
from sohoa.search.records import DocumentRecord, DossierRecord, RecordIndex, ReuseRecord

OWNER = "001203012345"
OTHER = "079099000111"


def _doc(
    doc_id: str, owner: str | None, *, day: int, kind: str = "component", **extra: object
) -> DocumentRecord:
    return DocumentRecord(
        doc_id=doc_id,
        owner_id=owner,
        kind=kind,
        doc_date=date(2025, 1, day),
        created_at=datetime(2025, 3, day, 9, 0, tzinfo=UTC),
        **extra,
    )


def test_backends_implement_record_index(index: SearchIndex) -> None:
    assert isinstance(index, RecordIndex)


def test_owner_documents_newest_first_and_by_type(index: SearchIndex) -> None:
    ix: RecordIndex = index  # type: ignore[assignment]
    ix.index_documents(
        [
            _doc("a" * 24, OWNER, day=3, doc_type="giay-khai-sinh"),
            _doc("b" * 24, OWNER, day=9, doc_type="can-cuoc", valid_until=date(2030, 1, 1)),
            _doc("c" * 24, OTHER, day=5, doc_type="giay-khai-sinh"),
            _doc("d" * 24, OWNER, day=1, kind="result", doc_type="giay-phep", number_symbol="12/GP-UBND",
                 revoked=True, reuse_count=2),
        ]
    )  # fmt: skip
    mine = ix.owner_documents(OWNER)
    assert [d.doc_id[0] for d in mine] == ["b", "a", "d"]
    assert mine[0].valid_until == date(2030, 1, 1)
    assert mine[2].revoked is True and mine[2].reuse_count == 2 and mine[2].kind == "result"
    assert [d.doc_id[0] for d in ix.owner_documents(OWNER, "giay-khai-sinh")] == ["a"]
    assert ix.owner_documents("999999999") == []
    assert [d.doc_id[0] for d in ix.documents_by_number("12/GP-UBND")] == ["d"]


def test_document_summary_is_replaced_not_doubled(index: SearchIndex) -> None:
    ix: RecordIndex = index  # type: ignore[assignment]
    ix.index_documents([_doc("a" * 24, OWNER, day=3)])
    ix.index_documents([_doc("a" * 24, OWNER, day=3, reuse_count=1)])
    (only,) = ix.owner_documents(OWNER)
    assert only.reuse_count == 1


def test_digitization_counts_by_period_and_agency(index: SearchIndex) -> None:
    ix: RecordIndex = index  # type: ignore[assignment]
    ix.index_dossiers(
        [
            DossierRecord(code="H29-250301-0001", agency="H29", procedure_code="1.001", owner_id=OWNER,
                          received_on=date(2025, 3, 1)),
            DossierRecord(code="H29-250302-0001", agency="H29", procedure_code="1.001", owner_id=OTHER,
                          received_on=date(2025, 3, 2)),
            DossierRecord(code="X01-250302-0001", agency="X01", procedure_code="1.002", owner_id=OTHER,
                          received_on=date(2025, 3, 2)),
            DossierRecord(code="H29-250401-0001", agency="H29", procedure_code="1.001", owner_id=OTHER,
                          received_on=date(2025, 4, 1)),
        ]
    )  # fmt: skip
    ix.index_documents(
        [
            _doc("a" * 24, OWNER, day=1, agency="H29"),
            _doc("b" * 24, OWNER, day=2, agency="H29", kind="result"),
            _doc("c" * 24, OTHER, day=2, agency="X01"),
        ]
    )
    ix.index_reuses(
        [
            ReuseRecord(id="r1", dossier_code="H29-250302-0001", doc_id="a" * 24, owner_id=OWNER,
                        agency="H29", on=date(2025, 3, 2)),
            ReuseRecord(id="r2", dossier_code="H29-250401-0001", doc_id="a" * 24, owner_id=OWNER,
                        agency="H29", on=date(2025, 4, 1)),
        ]
    )  # fmt: skip
    march = ix.digitization_counts(date(2025, 3, 1), date(2025, 3, 31))
    assert (march.dossiers, march.documents, march.components, march.results, march.reuses) == (3, 3, 2, 1, 1)
    h29 = ix.digitization_counts(date(2025, 3, 1), date(2025, 3, 31), agency="H29")
    assert (h29.dossiers, h29.documents, h29.components, h29.results, h29.reuses) == (2, 2, 1, 1, 1)
    april = ix.digitization_counts(date(2025, 4, 1), date(2025, 4, 30), agency="H29")
    assert (april.dossiers, april.documents, april.reuses) == (1, 0, 1)


def test_clear_drops_records_too(index: SearchIndex) -> None:
    ix: RecordIndex = index  # type: ignore[assignment]
    ix.index_documents([_doc("a" * 24, OWNER, day=3)])
    index.clear()
    assert ix.owner_documents(OWNER) == []
