"""Confirming extracted fields keeps every field: two personal IDs on one permit are each confirmed on
their own, a correction keeps what OCR read, who confirmed and when is on each field, and confirmed values
(never unconfirmed ones) become the record's own fields. Through the archive on both backend pairs and
through the HTTP API, with refusals that write nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from people import make_people
from signed_pages import ISSUED, OWNER, SIGNER, SPOUSE, signed_permit
from sohoa.api.app import create_app
from sohoa.api.settings import Settings
from sohoa.archive.documents import load_document
from sohoa.archive.dossiers import owner_documents
from sohoa.archive.lifecycle import confirm_fields
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.confirmations import FieldChange
from sohoa.records.models import Document, DocumentKind, FieldName, ValidityStatus
from sohoa.search.base import SearchIndex
from sohoa.search.records import RecordIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore

CORRECTED = "079185000124"  # the officer reads the spouse's ID off the paper: OCR is told it slipped


def _positions(document: Document, name: FieldName) -> list[int]:
    return [i for i, f in enumerate(document.fields) if f.name is name]


@pytest.fixture(scope="module")
def permit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("permit") / "giay-phep.png"
    image, _ = signed_permit()
    image.save(path, dpi=(300, 300))
    return path


def _ingest(path: Path, store: ObjectStore, index: SearchIndex) -> Document:
    meta = IngestMeta(name=path.name, owner_id=OWNER, kind=DocumentKind.RESULT, by="staff")
    return ingest_file(path, store=store, index=index, meta=meta, executor=InlineExecutor()).document


def test_two_ids_both_survive_and_confirmed_values_become_the_record(
    permit: Path, store: ObjectStore, index: SearchIndex
) -> None:
    document = _ingest(permit, store, index)
    # Read but not confirmed: suggestions only, the record stays as ingested.
    assert {f.value for f in document.fields if f.name is FieldName.VALID_UNTIL} == {"2025-03-14"}
    assert (document.valid_until, document.signer, document.number_symbol) == (None, None, None)
    ids = _positions(document, FieldName.PERSONAL_ID)
    assert [document.fields[i].value for i in ids] == [OWNER, SPOUSE]
    until = _positions(document, FieldName.VALID_UNTIL)[0]
    number = _positions(document, FieldName.NUMBER_SYMBOL)[0]
    signer = _positions(document, FieldName.SIGNER)[0]
    signed_on = _positions(document, FieldName.SIGNED_ON)[0]
    kind = _positions(document, FieldName.DOC_TYPE)[0]

    confirm_fields(
        store,
        index,
        document.id,
        [FieldChange(index=ids[0], value=OWNER), FieldChange(index=ids[1], value=CORRECTED)],
        by="officer",
    )
    confirm_fields(
        store,
        index,
        document.id,
        [
            FieldChange(index=i, value=document.fields[i].value)
            for i in (until, number, signer, signed_on, kind)
        ],
        by="officer2",
    )
    stored = load_document(store, document.id)
    first, second = (stored.fields[i] for i in ids)
    assert (first.value, first.confirmed, first.original, first.confirmed_by) == (
        OWNER,
        True,
        None,
        "officer",
    )
    assert (second.value, second.confirmed, second.original) == (CORRECTED, True, SPOUSE)
    assert second.confirmed_by == "officer" and second.confirmed_at is not None
    assert second.page == 1 and second.box == document.fields[ids[1]].box  # the evidence stays
    assert stored.fields[until].confirmed_by == "officer2"
    assert len(stored.fields) == len(document.fields)  # nothing dropped
    assert stored.number_symbol == "245/GP-UBND"
    assert stored.valid_until == date(2025, 3, 14) and stored.signer == SIGNER and stored.signed_on == ISSUED
    assert stored.doc_type == "giay-phep"
    assert stored.validity is ValidityStatus.EXPIRED  # past its printed validity
    if isinstance(index, RecordIndex):
        (summary,) = owner_documents(index, OWNER)
        assert summary.document.valid_until == date(2025, 3, 14)
        assert not summary.reuse.reusable and summary.reuse.validity is ValidityStatus.EXPIRED


client_data: list[Path] = []  # the API's data directory, which the CLI test opens too


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, permit: Path) -> Iterator[tuple[TestClient, str]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("confirm-api"), workers=1)
    client_data[:] = [settings.data_dir]
    with TestClient(create_app(settings)) as client:
        people = make_people(client.app.state.backends.store)
        with permit.open("rb") as f:
            r = client.post(
                "/api/v1/documents",
                files={"file": (permit.name, f, "image/png")},
                data={"owner_id": OWNER, "kind": "result"},
                headers=people["staff"].headers,
            )
        assert r.status_code == 201, r.text
        client.headers.update(people["officer"].headers)
        yield client, r.json()["id"]


def _manifest(client: TestClient, doc_id: str) -> bytes:
    return client.app.state.backends.store.get_bytes(keys.document_manifest(doc_id))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"index": 999, "value": "x"}, "không có trường số 999"),
        ({"index": 0, "name": "tax_code", "value": "0100109106"}, "không phải tax_code"),
        ({"name": "valid_until", "value": "31/2/2026"}, "Ngày không hợp lệ"),
        ({"name": "personal_id", "value": "12345"}, "định danh"),
        ({"name": "number_symbol", "value": "abc"}, "Số, ký hiệu"),
        ({"name": "signer", "value": "   "}, "không được để trống"),
        ({"name": "valid_from", "value": "2030-01-01"}, "trước ngày có hiệu lực"),  # after valid_until
        ({"name": "signer", "value": "Trần Minh Đức", "page": 9}, "không có trang 9"),
    ],
)
def test_refused_changes_write_nothing(api: tuple[TestClient, str], change: dict, words: str) -> None:
    client, doc_id = api
    fields = client.get(f"/api/v1/documents/{doc_id}").json()["fields"]
    until = next(i for i, f in enumerate(fields) if f["name"] == "valid_until")
    # A good change beside the bad one: refused together.
    body = {"fields": [{"index": until, "value": fields[until]["value"]}, change]}
    before = _manifest(client, doc_id)
    r = client.post(f"/api/v1/documents/{doc_id}/fields/confirm", json=body)
    assert r.status_code == 422, r.text
    assert words in r.json()["title"] and r.json()["detail"]  # Vietnamese title, English detail
    assert _manifest(client, doc_id) == before


def test_malformed_requests_are_refused(api: tuple[TestClient, str]) -> None:
    client, doc_id = api
    for body in ({}, {"fields": [{"value": "x"}]}, {"fields": [{"index": -1, "value": "x"}]}):
        r = client.post(f"/api/v1/documents/{doc_id}/fields/confirm", json=body)
        assert r.status_code == 422, (body, r.text)


def test_the_older_form_by_name_and_adding_a_field_ocr_missed(api: tuple[TestClient, str]) -> None:
    client, doc_id = api
    url = f"/api/v1/documents/{doc_id}/fields/confirm"
    r = client.post(url, json={"values": {"personal_id": OWNER, "issuer": "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"}})
    assert r.status_code == 200, r.text
    doc = r.json()
    ids = [f for f in doc["fields"] if f["name"] == "personal_id"]
    assert [(f["value"], f["confirmed"]) for f in ids] == [
        (OWNER, True),
        (SPOUSE, False),
    ]  # the first of that name
    assert doc["issuer"] == "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    r = client.post(
        url, json={"fields": [{"name": "valid_from", "value": "ngày 15 tháng 3 năm 2024", "page": 1}]}
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    added = doc["fields"][-1]
    assert (added["name"], added["value"], added["confirmed_by"], added["box"]) == (
        "valid_from",
        "2024-03-15",
        "officer",
        None,
    )
    assert doc["valid_from"] == "2024-03-15"


def test_the_cli_lists_fields_by_position_and_confirms_one(api: tuple[TestClient, str]) -> None:
    client, doc_id = api
    env = {**os.environ, "SOHOA_DATA_DIR": str(client_data[0]), "COLUMNS": "250"}
    sohoa = [str(Path(sys.executable).parent / "sohoa")]
    fields = client.get(f"/api/v1/documents/{doc_id}").json()["fields"]
    second = [i for i, f in enumerate(fields) if f["name"] == "personal_id"][1]
    listed = subprocess.run([*sohoa, "confirm", doc_id], capture_output=True, text=True, env=env, check=False)
    assert listed.returncode == 0, listed.stderr
    assert SPOUSE in listed.stdout and "valid_until" in listed.stdout
    done = subprocess.run(
        [
            *sohoa,
            "confirm",
            doc_id,
            "--field",
            f"{second}={CORRECTED}",
            "--add",
            "signer=Trần Minh Đức",
            "--by",
            "an",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = client.get(f"/api/v1/documents/{doc_id}").json()
    assert (doc["fields"][second]["value"], doc["fields"][second]["original"]) == (CORRECTED, SPOUSE)
    assert doc["fields"][second]["confirmed_by"] == "an" and doc["signer"] == "Trần Minh Đức"
    before = _manifest(client, doc_id)
    for bad in (
        ["--field", "999=x"],
        ["--field", "nope"],
        ["--add", "colour=red"],
        ["--field", f"{second}=12"],
    ):
        refused = subprocess.run(
            [*sohoa, "confirm", doc_id, *bad], capture_output=True, text=True, env=env, check=False
        )
        assert refused.returncode == 2, (bad, refused.stdout, refused.stderr)
        assert "Lỗi:" in refused.stderr and "Error:" in refused.stderr and "Traceback" not in refused.stderr
    assert _manifest(client, doc_id) == before
