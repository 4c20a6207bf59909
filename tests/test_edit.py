"""An officer setting or correcting a document's facts through `PATCH /api/v1/documents/{id}`, on every
backend pair: validity dates make the paper expired in the record, the search filter, the owner's list and
the reuse verdict; each change is in the record and on the audit trail with its old and new value; a refused
change (each kind) answers 422 in Vietnamese and English and writes nothing. Validity is judged on the day
the record is read, not only as of its last write."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from people import AGENCY, CITIZEN_A, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import load_document
from sohoa.archive.dossiers import create_dossier, owner_documents, reuse_document
from sohoa.errors import Conflict
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import AuditAction
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import Document, DocumentKind, ValidityStatus
from sohoa.records.titles import paper_title
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex, SearchQuery
from sohoa.search.records import AuditQuery, RecordIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import write_manifest


def _permit(store: ObjectStore, index: SearchIndex, tmp_path: Path, seed: int = 61) -> Document:
    page = make_page(seed=seed, size="A5", lines=3)
    path = tmp_path / f"permit-{seed}.png"
    page.image.save(path, dpi=(300, 300))
    meta = IngestMeta(
        name=path.name, owner_id=CITIZEN_A, doc_type="giay-phep", kind=DocumentKind.RESULT, agency=AGENCY
    )
    return ingest_file(path, store=store, index=index, meta=meta, executor=InlineExecutor()).document


def _client(store: ObjectStore, index: SearchIndex, tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path / "api", workers=1)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    return TestClient(app, base_url="https://testserver")


def _hits(index: SearchIndex, doc: Document, validity: ValidityStatus) -> set[str]:
    # A word as OCR read it, standing alone (not inside a URL, which Elasticsearch keeps as one token).
    words = [w.strip(",.:;") for w in doc.text.split()]
    word = max((w for w in words if w.isalpha()), key=len)
    return {h.doc_id for h in index.search(SearchQuery(text=word, validity=validity)).hits}


def _edit_events(index: SearchIndex, doc_id: str) -> list:
    assert isinstance(index, RecordIndex)
    events = index.audit_events(AuditQuery(record=doc_id)).events
    return sorted((e for e in events if e.action is AuditAction.EDIT), key=lambda e: e.at)


def test_a_past_valid_until_makes_the_paper_expired_everywhere(
    store: ObjectStore, index: SearchIndex, tmp_path: Path
) -> None:
    doc = _permit(store, index, tmp_path)
    people = make_people(store)
    officer, citizen = people["officer"].headers, people["citizen-a"].headers
    assert _hits(index, doc, ValidityStatus.VALID) == {doc.id}
    changes = {
        "valid_from": "2019-01-01",
        "valid_until": "2020-12-31",
        "number_symbol": "12 / GP - UBND",
        "issuer": "UBND huyện Gia Lâm",
        "signer": "Nguyễn Văn Bình",
        "signed_on": "01/01/2019",  # as Vietnamese papers write it
        "scope": "Thửa đất số 12",
    }
    with _client(store, index, tmp_path) as client:
        r = client.patch(f"/api/v1/documents/{doc.id}", json=changes, headers=officer)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["validity"] == "expired"
        assert body["number_symbol"] == "12/GP-UBND" and body["signed_on"] == "2019-01-01"
        assert [(e["field"], e["old"], e["new"], e["by"]) for e in body["edits"]] == [
            ("valid_from", None, "2019-01-01", "officer"),
            ("valid_until", None, "2020-12-31", "officer"),
            ("number_symbol", None, "12/GP-UBND", "officer"),
            ("issuer", None, "UBND huyện Gia Lâm", "officer"),
            ("signer", None, "Nguyễn Văn Bình", "officer"),
            ("signed_on", None, "2019-01-01", "officer"),
            ("scope", None, "Thửa đất số 12", "officer"),
        ]
        # The record, read back by anyone who may read it.
        got = client.get(f"/api/v1/documents/{doc.id}", headers=citizen).json()
        assert got["validity"] == "expired" and got["valid_until"] == "2020-12-31"
        # The owner's list: shown, expired, not offered for reuse, with the reason in words.
        (listed,) = client.get(f"/api/v1/owners/{CITIZEN_A}/documents", headers=citizen).json()
        assert listed["reuse"]["validity"] == "expired" and listed["reuse"]["reusable"] is False
        reason = listed["reuse"]["reasons"][0]
        assert reason["code"] == "expired" and reason["vi"] == "Hết hiệu lực từ sau ngày 2020-12-31"
        # The search validity filter, on this index backend, sees the edit at once.
        assert _hits(index, doc, ValidityStatus.EXPIRED) == {doc.id}
        assert _hits(index, doc, ValidityStatus.VALID) == set()
        # Reuse refuses it, and says why.
        dossier = create_dossier(
            store,
            index,
            NewDossier(
                agency=AGENCY,
                procedure_code="1.001193",
                procedure_name="Cấp phép sửa chữa nhà",
                applicant=Applicant(id_number=CITIZEN_A, name="Nguyễn Văn An"),
            ),
            by="officer",
        )
        with pytest.raises(Conflict, match="expired"):
            reuse_document(store, index, dossier.code, doc.id, by="officer")
        # Cleared again (null), it is valid again; nothing was deleted on the way.
        r = client.patch(f"/api/v1/documents/{doc.id}", json={"valid_until": None}, headers=officer)
        assert r.status_code == 200 and r.json()["validity"] == "valid"
    assert _hits(index, doc, ValidityStatus.VALID) == {doc.id}
    (again,) = owner_documents(index, CITIZEN_A)
    assert again.reuse.reusable
    stored = load_document(store, doc.id)
    assert [(e.field, e.old, e.new) for e in stored.edits if e.field == "valid_until"] == [
        ("valid_until", None, "2020-12-31"),
        ("valid_until", "2020-12-31", None),
    ]
    first, second = _edit_events(index, doc.id)
    assert (first.actor, first.role.value, first.status) == ("officer", "officer", 200)
    assert first.detail["valid_until.old"] == "" and first.detail["valid_until.new"] == "2020-12-31"
    assert first.detail["signer.new"] == "Nguyễn Văn Bình"
    assert second.detail == {"valid_until.old": "2020-12-31", "valid_until.new": ""}


BAD = [
    ({"valid_from": "2021-01-01", "valid_until": "2020-01-01"}, "before valid from"),
    ({"valid_until": "2020-06-01"}, "before valid from"),  # against the stored valid_from
    ({"number_symbol": "abc"}, "123/QĐ-UBND"),
    ({"number_symbol": "0/QĐ-UBND"}, "zero"),
    ({"colour": "đỏ"}, "unknown field: colour"),
    ({"doc_type": "Quyết định số 5"}, "slug"),
    ({"doc_type": "Giay-Phep"}, "slug"),
    ({"valid_until": "31/02/2024"}, "not a date"),
    ({"signed_on": "hôm qua"}, "not a date"),
    ({"title": 5}, "string or null"),
    ({"title": "x" * 501}, "longer than 500"),
    ({}, "nothing to change"),
    (["valid_until", "2020-01-01"], "JSON object"),
    # One bad value refuses the whole request: the good one is not written either.
    ({"title": "Giấy phép mới", "number_symbol": "số 5"}, "123/QĐ-UBND"),
]


@pytest.fixture
def embedded(tmp_path: Path) -> tuple[ObjectStore, SearchIndex]:
    return FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")


def test_each_refusal_answers_422_and_writes_nothing(
    embedded: tuple[ObjectStore, SearchIndex], tmp_path: Path
) -> None:
    store, index = embedded
    doc = _permit(store, index, tmp_path)
    people = make_people(store)
    officer = people["officer"].headers
    with _client(store, index, tmp_path) as client:
        url = f"/api/v1/documents/{doc.id}"
        assert client.patch(url, json={"valid_from": "2021-01-01"}, headers=officer).status_code == 200
        before = store.get_bytes(keys.document_manifest(doc.id))
        for body, english in BAD:
            r = client.patch(url, json=body, headers=officer)
            assert r.status_code == 422, (body, r.text)
            problem = r.json()
            assert english in problem["message_en"], (body, problem)
            assert problem["message_vi"] and problem["message_vi"] != problem["message_en"]
            assert store.get_bytes(keys.document_manifest(doc.id)) == before, body
        # Not the digitizing agency's officer, or not an officer: refused before anything is read.
        assert client.patch(url, json={"title": "x"}, headers=people["officer2"].headers).status_code == 404
        for who in ("staff", "citizen-a", "admin"):
            assert client.patch(url, json={"title": "x"}, headers=people[who].headers).status_code == 403
        assert client.patch(url, json={"title": "x"}).status_code == 401
        assert store.get_bytes(keys.document_manifest(doc.id)) == before
        # The same values again change nothing and add no history.
        r = client.patch(url, json={"valid_from": "2021-01-01", "title": None}, headers=officer)
        assert r.status_code == 200 and len(r.json()["edits"]) == 1
    assert store.get_bytes(keys.document_manifest(doc.id)) == before


def test_a_type_is_a_known_slug_its_name_or_another_slug(
    embedded: tuple[ObjectStore, SearchIndex], tmp_path: Path
) -> None:
    store, index = embedded
    doc = _permit(store, index, tmp_path)
    officer = make_people(store)["officer"].headers
    with _client(store, index, tmp_path) as client:
        url = f"/api/v1/documents/{doc.id}"
        named = {"doc_type": "Quyết định", "number_symbol": "123/QĐ-UBND"}
        r = client.patch(url, json=named, headers=officer)
        assert r.json()["doc_type"] == "quyet-dinh"
        r = client.patch(url, json={"doc_type": "giấy-báo-tử"}, headers=officer)
        assert r.status_code == 200 and r.json()["doc_type"] == "giấy-báo-tử"
    assert [e.new for e in load_document(store, doc.id).edits] == ["123/QĐ-UBND", "quyet-dinh", "giấy-báo-tử"]


def test_validity_is_judged_on_the_day_it_is_read(
    embedded: tuple[ObjectStore, SearchIndex], tmp_path: Path
) -> None:
    """A record last written while valid, whose valid-until date has since passed, reads as expired."""
    store, index = embedded
    doc = _permit(store, index, tmp_path)
    stored = load_document(store, doc.id)
    stored.valid_until = date.today() - timedelta(days=2)
    stored.validity = ValidityStatus.VALID  # as it was on its last write
    write_manifest(store, keys.document_manifest(doc.id), stored)
    assert load_document(store, doc.id).validity is ValidityStatus.EXPIRED
    citizen = make_people(store)["citizen-a"].headers
    with _client(store, index, tmp_path) as client:
        assert client.get(f"/api/v1/documents/{doc.id}", headers=citizen).json()["validity"] == "expired"


def test_a_paper_is_named_for_what_it_is() -> None:
    assert paper_title("quyet-dinh", "123/QĐ-UBND", "Về việc cấp phép", "scan-0001.pdf") == (
        "Quyết định 123/QĐ-UBND"
    )
    assert paper_title("quyet-dinh", None, "Về việc cấp phép", "scan-0001.pdf") == "Về việc cấp phép"
    assert paper_title("quyet-dinh", None, None, "scan-0001.pdf") == "Quyết định"
    assert paper_title(None, "5/TB-UBND", None, "scan-0001.pdf") == "5/TB-UBND"
    assert paper_title(None, None, None, "scan-0001.pdf") == "scan-0001.pdf"
