"""The SearchIndex contract, run against every search backend: folding, exact-first ranking, phrases,
filters, snippets in the text as written, and queries that cannot break the engine's syntax."""

from __future__ import annotations

from datetime import date

import pytest

from sohoa.search import PageRecord, SearchIndex, SearchQuery
from sohoa.search.base import InvalidQuery

PAGES = [
    PageRecord(
        doc_id="d1",
        page=1,
        text="Bộ phận một cửa tiếp nhận hồ sơ của công dân.",
        owner_id="001089012345",
        doc_type="don-de-nghi",
        dossier_code="000.00.11.H29-250912-0007",
        doc_date=date(2025, 9, 12),
    ),
    PageRecord(
        doc_id="d1",
        page=2,
        text="Trả kết quả giải quyết thủ tục hành chính đúng hạn.",
        owner_id="001089012345",
        doc_type="don-de-nghi",
        dossier_code="000.00.11.H29-250912-0007",
        doc_date=date(2025, 9, 12),
    ),
    PageRecord(
        doc_id="d2",
        page=1,
        text="Ho so nay duoc go khong dau: ho so, ho so.",
        owner_id="079195000001",
        doc_type="giay-khai-sinh",
        doc_date=date(2024, 1, 5),
    ),
    PageRecord(
        doc_id="d3",
        page=1,
        text="GIẤY KHAI SINH. Họ và tên: Nguyễn Thị Hồng. Nơi sinh: Đồng Nai.",
        owner_id="079195000001",
        doc_type="giay-khai-sinh",
        doc_date=date(2023, 3, 1),
    ),
    PageRecord(
        doc_id="d4",
        page=1,
        text="Quyết định số 123/QĐ-UBND về việc số hóa kết quả.",
        doc_type="quyet-dinh",
        doc_date=date(2025, 12, 1),
    ),
]


@pytest.fixture
def filled(index: SearchIndex) -> SearchIndex:
    assert index.index_pages(PAGES) == len(PAGES)
    return index


def ids(index: SearchIndex, text: str, **filters: object) -> list[tuple[str, int]]:
    return [(h.doc_id, h.page) for h in index.search(SearchQuery(text=text, **filters)).hits]


@pytest.mark.parametrize("query", ["ho so", "hồ sơ", "HỒ SƠ", "Hồ Sơ", "ho sơ"])
def test_folded_and_exact_forms_find_the_same_pages(filled: SearchIndex, query: str) -> None:
    assert set(ids(filled, query)) == {("d1", 1), ("d2", 1)}


def test_exact_diacritics_rank_first(filled: SearchIndex) -> None:
    results = filled.search(SearchQuery(text="hồ sơ"))
    assert [h.doc_id for h in results.hits] == ["d1", "d2"]
    assert [h.exact for h in results.hits] == [True, False]


def test_query_without_marks_finds_text_with_marks(filled: SearchIndex) -> None:
    assert ids(filled, "giay khai sinh") == [("d3", 1)]
    assert ids(filled, "dong nai") == [("d3", 1)]  # đ folds to d


def test_all_words_must_match(filled: SearchIndex) -> None:
    assert ids(filled, "ho so dung han") == []
    assert ids(filled, "ket qua dung han") == [("d1", 2)]


def test_phrase(filled: SearchIndex) -> None:
    assert ids(filled, '"khai sinh"') == [("d3", 1)]
    assert ids(filled, '"sinh khai"') == []


def test_number_and_symbol_as_phrase(filled: SearchIndex) -> None:
    assert ids(filled, '"123/QĐ-UBND"') == [("d4", 1)]
    assert ids(filled, "123/qd-ubnd") == [("d4", 1)]


def test_snippet_marks_words_as_written(filled: SearchIndex) -> None:
    hit = filled.search(SearchQuery(text="ho so")).hits
    d1 = next(h for h in hit if h.doc_id == "d1")
    assert "<mark>hồ</mark> <mark>sơ</mark>" in d1.snippet
    assert "tiếp nhận" in d1.snippet


def test_filters(filled: SearchIndex) -> None:
    assert ids(filled, "ho so", owner_id="079195000001") == [("d2", 1)]
    assert ids(filled, "ho so", doc_type="don-de-nghi") == [("d1", 1)]
    assert ids(filled, "ket qua", dossier_code="000.00.11.H29-250912-0007") == [("d1", 2)]
    assert ids(filled, "ket qua", date_from=date(2025, 10, 1)) == [("d4", 1)]
    assert ids(filled, "ket qua", date_to=date(2025, 9, 30)) == [("d1", 2)]
    assert ids(filled, "ho so", owner_id="000000000000") == []


def test_pagination_and_total(filled: SearchIndex) -> None:
    everything = filled.search(SearchQuery(text="ket qua", limit=1))
    assert everything.total == 2
    assert len(everything.hits) == 1
    second = filled.search(SearchQuery(text="ket qua", limit=1, offset=1))
    assert {everything.hits[0].doc_id, second.hits[0].doc_id} == {"d1", "d4"}


@pytest.mark.parametrize(
    "query", ["a AND b", "NEAR(x y)", '"unbalanced', "col:value", "ho* -so", "so^2", "' OR 1=1 --"]
)
def test_query_syntax_cannot_leak(filled: SearchIndex, query: str) -> None:
    filled.search(SearchQuery(text=query))  # no engine error, whatever was typed


def test_query_without_words_is_refused(filled: SearchIndex) -> None:
    with pytest.raises(InvalidQuery):
        filled.search(SearchQuery(text="!!! ---"))


def test_reindexing_a_page_replaces_it(filled: SearchIndex) -> None:
    filled.index_pages([PageRecord(doc_id="d3", page=1, text="Giấy chứng nhận quyền sử dụng đất")])
    assert ids(filled, "khai sinh") == []
    assert ids(filled, "quyen su dung dat") == [("d3", 1)]
    assert filled.count() == len(PAGES)


def test_delete_and_clear(filled: SearchIndex) -> None:
    filled.delete_document("d1")
    assert ids(filled, "ho so") == [("d2", 1)]
    assert filled.count() == len(PAGES) - 2
    filled.clear()
    assert filled.count() == 0
    assert ids(filled, "ho so") == []


def test_words_side_by_side_rank_above_scattered_words(index: SearchIndex) -> None:
    index.index_pages(
        [
            PageRecord(doc_id="far", page=1, text="Số 12 của ông Hồ Văn Nam được cấp lại. " * 2),
            PageRecord(doc_id="near", page=1, text="Ông Nam nộp hồ sơ tại quầy một cửa."),
        ]
    )
    hits = index.search(SearchQuery(text="ho so")).hits
    assert [h.doc_id for h in hits] == ["near", "far"]
    assert "<mark>hồ</mark> <mark>sơ</mark>" in hits[0].snippet


def test_totals_are_counted_up_to_the_cap(index: SearchIndex) -> None:
    from sohoa.search.base import TOTAL_CAP

    pages = [PageRecord(doc_id=f"{i:024x}", page=1, text=f"hồ sơ số {i}") for i in range(TOTAL_CAP + 5)]
    pages.append(PageRecord(doc_id="rare", page=1, text="giấy phép xây dựng"))
    for start in range(0, len(pages), 2000):
        index.index_pages(pages[start : start + 2000])
    many = index.search(SearchQuery(text="ho so"))
    assert (many.total, many.total_exact, len(many.hits)) == (TOTAL_CAP, False, 20)
    few = index.search(SearchQuery(text="giay phep"))
    assert (few.total, few.total_exact) == (1, True)


def test_a_phrase_needs_its_words_in_a_row(index: SearchIndex) -> None:
    index.index_pages(
        [
            PageRecord(doc_id="row", page=1, text="Thủ tục hành chính công được niêm yết."),
            # Every pair of the phrase is here, but never the three words in a row.
            PageRecord(doc_id="apart", page=1, text="Thủ tục hành lang; hành chính công khai."),
        ]
    )
    assert ids(index, '"thu tuc hanh chinh"') == [("row", 1)]
    assert ids(index, '"tuc hanh chinh cong"') == [("row", 1)]
    assert sorted(ids(index, '"hành chính công"')) == [("apart", 1), ("row", 1)]


def test_procedure_and_validity_filters(index: SearchIndex) -> None:
    from sohoa.records.models import ValidityStatus

    def page(doc_id: str, **fields: object) -> PageRecord:
        return PageRecord(doc_id=doc_id, page=1, text="Giấy phép xây dựng nhà ở riêng lẻ.", **fields)

    index.index_pages(
        [
            page("lasting", procedure_code="1.009972"),
            page("until-june", procedure_code="1.009972", valid_until=date(2026, 6, 30)),
            page("revoked", procedure_code="2.000001", validity="revoked"),
        ]
    )

    def found(**filters: object) -> set[str]:
        return {h.doc_id for h in index.search(SearchQuery(text="giay phep", **filters)).hits}

    assert found(procedure_code="1.009972") == {"lasting", "until-june"}
    assert found(procedure_code="9.999999") == set()
    june, july = date(2026, 6, 30), date(2026, 7, 1)
    assert found(validity=ValidityStatus.VALID, valid_on=june) == {"lasting", "until-june"}
    assert found(validity=ValidityStatus.VALID, valid_on=july) == {"lasting"}
    assert found(validity=ValidityStatus.EXPIRED, valid_on=july) == {"until-june"}
    assert found(validity=ValidityStatus.EXPIRED, valid_on=june) == set()
    assert found(validity=ValidityStatus.REVOKED) == {"revoked"}
    assert found(validity=ValidityStatus.VALID, procedure_code="2.000001") == set()
