"""Dossiers and reuse end to end, on the embedded pair (filesystem + SQLite) and the production pair
(MinIO + Elasticsearch): codes, links, reuse events and counts, validity, revocation, duplicates, metrics."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import Pair
from people import make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive.documents import load_document, reindex
from sohoa.archive.dossiers import create_dossier, load_dossier, owner_documents, reuse_document
from sohoa.archive.lifecycle import revoke
from sohoa.errors import BadInput, Conflict
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import DocumentKind, ValidityStatus
from sohoa.records.reuse import reusability
from sohoa.samples.scangen import Degradation, make_page, make_result_document
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.filesystem import FilesystemStore

CITIZEN = "001203012345"
OTHER = "079199000111"


def _new(owner: str = CITIZEN, agency: str = "000.00.11.H29", **extra: object) -> NewDossier:
    return NewDossier(
        agency=agency,
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=owner, name="Nguyễn Văn An"),
        **extra,
    )


def _scan(
    tmp_path: Path, name: str, seed: int, *, result: bool = False, degradation: Degradation | None = None
) -> Path:
    page = (
        make_result_document(seed=seed, degradation=degradation)[0]
        if result
        else make_page(seed=seed, lines=10, degradation=degradation)
    )
    path = tmp_path / name
    page.image.save(path, dpi=(300, 300))
    return path


def _ingest(pair: Pair, path: Path, **meta: object):
    return ingest_file(
        path,
        store=pair.store,
        index=pair.index,
        meta=IngestMeta(name=path.name, **meta),
        executor=InlineExecutor(),
    ).document


def test_concurrent_dossier_codes_are_unique_and_sequential(pair: Pair) -> None:
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda _: create_dossier(pair.store, pair.index, _new(), by="t").code, range(12))
        )
    assert len(set(codes)) == 12
    prefix = codes[0].rsplit("-", 1)[0]
    assert prefix.startswith("000.00.11.H29-")
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 13))


def test_reuse_end_to_end_with_zero_new_pages(pair: Pair, tmp_path: Path) -> None:
    first = create_dossier(pair.store, pair.index, _new(), by="officer-1")
    birth = _ingest(pair, _scan(tmp_path, "ks.png", 41, result=True), dossier_code=first.code,
                    doc_type="giay-khai-sinh", kind=DocumentKind.RESULT)  # fmt: skip
    card = _ingest(pair, _scan(tmp_path, "cc.png", 42), dossier_code=first.code, doc_type="can-cuoc")
    assert birth.owner_id == CITIZEN and birth.agency == "000.00.11.H29"
    assert birth.result_code == f"KS.{CITIZEN}"
    assert {link.doc_id for link in load_dossier(pair.store, first.code).links} == {birth.id, card.id}

    found = owner_documents(pair.index, CITIZEN)
    assert {d.document.doc_id for d in found} == {birth.id, card.id}
    assert all(d.reuse.reusable for d in found), [d.reuse for d in found]

    second = create_dossier(pair.store, pair.index, _new(), by="officer-2")
    pages_before = sum(1 for k in pair.store.list("documents/") if "/pages/" in k)
    for doc in (birth, card):
        event = reuse_document(pair.store, pair.index, second.code, doc.id, by="officer-2")
        assert event.by == "officer-2" and event.dossier_code == second.code
    # Reusing again for the same dossier is the same reuse, not a second one.
    reuse_document(pair.store, pair.index, second.code, birth.id, by="officer-2")
    assert sum(1 for k in pair.store.list("documents/") if "/pages/" in k) == pages_before
    view = load_dossier(pair.store, second.code)
    assert sorted((link.doc_id, link.kind.value) for link in view.links) == sorted(
        [(birth.id, "reused"), (card.id, "reused")]
    )
    assert len(list(pair.store.list("events/reuse/"))) == 2
    counts = {d.document.doc_id: d.document.reuse_count for d in owner_documents(pair.index, CITIZEN)}
    assert counts == {birth.id: 1, card.id: 1}

    app = create_app(
        backends=Backends(Settings(data_dir=tmp_path / "api"), pair.store, pair.index, InlineExecutor())
    )
    with TestClient(app, headers=make_people(pair.store)["officer"].headers) as client:
        today = date.today()
        period = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
        m = client.get("/api/v1/metrics/digitization", params=period).json()
        counted = (
            m["dossiers_received"],
            m["documents_digitized"],
            m["results_digitized"],
            m["reuse_events"],
        )
        assert counted == (2, 2, 1, 2)
        assert m["reuse_rate"] == pytest.approx(2 / 3, abs=1e-3)
        listed = client.get(f"/api/v1/owners/{CITIZEN}/documents").json()
        assert {d["document"]["doc_id"] for d in listed} == {birth.id, card.id}
        assert client.get("/api/v1/owners/12345/documents").status_code == 422

    # The index is a view: dropped and rebuilt from storage, the same answers.
    reindex(pair.store, pair.index)
    assert {d.document.doc_id: d.document.reuse_count for d in owner_documents(pair.index, CITIZEN)} == counts


def test_someone_elses_or_revoked_document_is_not_reused(pair: Pair, tmp_path: Path) -> None:
    first = create_dossier(pair.store, pair.index, _new(), by="o")
    permit = _ingest(pair, _scan(tmp_path, "gp.png", 43, result=True), dossier_code=first.code,
                     kind=DocumentKind.RESULT)  # fmt: skip
    other = create_dossier(pair.store, pair.index, _new(owner=OTHER), by="o")
    with pytest.raises(Conflict, match="someone else"):
        reuse_document(pair.store, pair.index, other.code, permit.id, by="o")

    with pytest.raises(BadInput, match="reason"):
        revoke(pair.store, pair.index, permit.id, "  / ", by="officer-3")
    revoked = revoke(pair.store, pair.index, permit.id, "Cấp sai đối tượng", by="officer-3")
    assert revoked.validity is ValidityStatus.REVOKED and revoked.revocation is not None
    with pytest.raises(Conflict, match="already revoked"):
        revoke(pair.store, pair.index, permit.id, "lần hai", by="officer-3")
    # Kept, shown with its status and why it cannot be reused.
    stored = load_document(pair.store, permit.id)
    assert stored.revocation is not None and stored.revocation.by == "officer-3"
    (listed,) = owner_documents(pair.index, CITIZEN)
    assert listed.reuse.validity is ValidityStatus.REVOKED and not listed.reuse.reusable
    assert listed.reuse.reasons[0].code == "revoked"
    second = create_dossier(pair.store, pair.index, _new(), by="o")
    with pytest.raises(Conflict, match="revoked"):
        reuse_document(pair.store, pair.index, second.code, permit.id, by="o")


def test_validity_transitions(tmp_path: Path) -> None:
    store, index = FilesystemStore(tmp_path / "s"), SqliteIndex(tmp_path / "i.sqlite3")
    doc = _ingest(Pair(store, index), _scan(tmp_path, "cc.png", 44), owner_id=CITIZEN, doc_type="can-cuoc")
    doc.valid_from, doc.valid_until = date(2021, 5, 1), date(2036, 5, 1)
    assert reusability(doc, date(2021, 4, 30)).reasons[0].code == "not_yet_valid"
    assert reusability(doc, date(2030, 1, 1)).validity is ValidityStatus.VALID
    assert reusability(doc, date(2036, 5, 1)).reusable
    late = reusability(doc, date(2036, 5, 2))
    assert late.validity is ValidityStatus.EXPIRED and not late.reusable and late.reasons[0].code == "expired"


def test_exact_and_near_duplicates_and_a_different_paper(pair: Pair, tmp_path: Path) -> None:
    path = _scan(tmp_path, "a.png", 45, result=True)
    original = _ingest(pair, path, owner_id=CITIZEN)
    meta = IngestMeta(name="b.png", owner_id=CITIZEN)
    again = ingest_file(path, store=pair.store, index=pair.index, meta=meta, executor=InlineExecutor())
    assert not again.created and again.document.id == original.id
    rescanned = _ingest(
        pair, _scan(tmp_path, "c.png", 45, result=True, degradation=Degradation(skew_deg=1.5, noise=5.0)),
        owner_id=CITIZEN,
    )  # fmt: skip
    assert rescanned.id != original.id
    (evidence,) = rescanned.near_duplicates
    assert evidence.doc_id == original.id and evidence.text_similarity >= 0.9
    assert evidence.page_hash_distance is not None and evidence.page_hash_distance <= 12
    different = _ingest(pair, _scan(tmp_path, "d.png", 46, result=True), owner_id=CITIZEN)
    assert different.near_duplicates == []
