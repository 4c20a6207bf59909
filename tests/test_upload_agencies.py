"""The same bytes uploaded at two agencies: each agency gets its own record, answered as a new file (201,
then 200), and nothing of the other agency's record (owner, result code, title, id) reaches it. Through the
API with two agencies' staff on both backend pairs, and through `sohoa ingest --agency`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from people import AGENCY, CITIZEN_A, OTHER_AGENCY, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts, load_document
from sohoa.archive.holdings import doc_id_for
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import write_manifest

SOHOA = str(Path(sys.executable).parent / "sohoa")


@pytest.fixture
def api(store: ObjectStore, index: SearchIndex, tmp_path: Path) -> Iterator[tuple[TestClient, dict]]:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    headers = {name: p.headers for name, p in make_people(store).items()}
    accounts.add_user(store, User(username="staff2", role=Role.STAFF, agency=OTHER_AGENCY))
    token, _ = accounts.issue_token(store, "staff2", lifetime=timedelta(hours=1))
    headers["staff2"] = {"Authorization": f"Bearer {token}"}
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield client, headers


def _scan(tmp_path: Path, seed: int) -> bytes:
    path = tmp_path / f"scan-{seed}.png"
    make_page(seed=seed, lines=5).image.save(path, dpi=(300, 300))
    return path.read_bytes()


def test_same_bytes_at_another_agency_answer_as_new_and_leak_nothing(
    api: tuple[TestClient, dict], tmp_path: Path
) -> None:
    client, headers = api
    data = _scan(tmp_path, 61)

    def upload(who: str, **form: str) -> tuple[int, dict]:
        r = client.post(
            "/api/v1/documents",
            files={"file": ("giay.png", data, "image/png")},
            data=form,
            headers=headers[who],
        )
        return r.status_code, r.json()

    status, theirs = upload(
        "staff", owner_id=CITIZEN_A, kind="result", doc_type="giay-phep", title="Bản của cơ quan A"
    )
    assert status == 201 and theirs["result_code"] and theirs["owner_id"] == CITIZEN_A

    status, mine = upload("staff2", title="Bản của cơ quan B")
    assert status == 201, mine  # as a new file: before, 200 with the other agency's record
    assert mine["id"] != theirs["id"] and mine["agency"] == OTHER_AGENCY
    assert mine["owner_id"] is None and mine["result_code"] is None and mine["kind"] == "component"
    assert mine["title"] == "Bản của cơ quan B" and mine["near_duplicates"] == []
    assert set(mine) == set(theirs)  # the same shape as any answer
    text = json.dumps(mine, ensure_ascii=False)
    for secret in (theirs["id"], CITIZEN_A, theirs["result_code"], "cơ quan A"):
        assert secret not in text

    status, again = upload("staff2", title="Bản của cơ quan B")
    assert status == 200 and again["id"] == mine["id"]
    status, own_again = upload("staff")
    assert status == 200 and own_again["id"] == theirs["id"]

    # Each agency reads and searches its own copy, and only its own.
    assert client.get(f"/api/v1/documents/{mine['id']}", headers=headers["staff2"]).status_code == 200
    assert client.get(f"/api/v1/documents/{theirs['id']}", headers=headers["staff2"]).status_code == 404
    assert client.get(f"/api/v1/documents/{mine['id']}", headers=headers["staff"]).status_code == 404
    word = max((w for w in mine["pages"][0]["text"].split() if w.isalpha()), key=len)
    for who, doc in (("staff2", mine), ("staff", theirs)):
        found = client.get("/api/v1/search", params={"q": word}, headers=headers[who]).json()
        assert {h["doc_id"] for h in found["hits"]} == {doc["id"]}, (who, word, found)
    kept = client.get(f"/api/v1/documents/{theirs['id']}", headers=headers["staff"]).json()
    assert kept["owner_id"] == CITIZEN_A and kept["title"] == "Bản của cơ quan A"


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1", "COLUMNS": "200"}
    return subprocess.run([SOHOA, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


def test_cli_ingest_keeps_one_record_per_agency(tmp_path: Path) -> None:
    scan = tmp_path / "giay.png"
    scan.write_bytes(_scan(tmp_path, 62))
    data = tmp_path / "data"

    def ingest(agency: str) -> tuple[str, str]:
        run = _cli("ingest", str(scan), "--agency", agency, "--owner", CITIZEN_A, data=data)
        assert run.returncode == 0, run.stderr
        return run.stdout.split()[0], run.stdout

    first, state = ingest(AGENCY)
    assert "new" in state
    second, state = ingest(OTHER_AGENCY)
    assert "new" in state and second != first
    again, state = ingest(AGENCY)
    assert again == first and "already stored" in state
    store = FilesystemStore(data / "store")
    assert load_document(store, first).agency == AGENCY
    assert load_document(store, second).agency == OTHER_AGENCY

    bad = _cli("ingest", str(scan), "--agency", "../x", data=data)
    assert bad.returncode == 2 and "agency code" in bad.stderr


def test_a_record_stored_before_per_agency_records_is_still_its_agencys(tmp_path: Path) -> None:
    """Records stored before kept the plain pointer and id: their agency still finds them, no duplicate."""
    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    scan = tmp_path / "giay.png"
    scan.write_bytes(_scan(tmp_path, 63))
    old = ingest_file(scan, store=store, index=index, meta=IngestMeta(), executor=InlineExecutor()).document
    assert old.id == doc_id_for(old.master_sha256)
    old.agency = AGENCY  # as the pipeline stored an agency's record before
    write_manifest(store, keys.document_manifest(old.id), old)

    meta = IngestMeta(agency=AGENCY)
    again = ingest_file(scan, store=store, index=index, meta=meta, executor=InlineExecutor())
    assert not again.created and again.document.id == old.id
    other = ingest_file(
        scan, store=store, index=index, meta=IngestMeta(agency=OTHER_AGENCY), executor=InlineExecutor()
    )
    assert other.created and other.document.id != old.id and other.document.agency == OTHER_AGENCY
    index.close()
