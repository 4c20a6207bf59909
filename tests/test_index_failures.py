"""Once storage has a change, the answer is a success even if the index refuses it: the index write is
marked pending and `sohoa catch-up` indexes it later. A retry with the same `Idempotency-Key` answers the
dossier the first try made. The index failure is real: the Elasticsearch client is pointed at a closed
port on loopback (the shared Elasticsearch is never stopped), on both stores."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import make_elastic
from people import AGENCY, CITIZEN_A, OTHER_AGENCY, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.cli import app as cli
from sohoa.api.settings import Settings
from sohoa.archive.pending import catch_up, pending
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import utcnow
from sohoa.samples.scangen import make_page
from sohoa.search.elastic import ElasticIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed: connections are refused


@dataclass
class World:
    client: TestClient
    store: ObjectStore
    index: ElasticIndex  # the app's, whose client can be pointed away
    real: Elasticsearch
    headers: dict[str, dict[str, str]]

    def refuse(self) -> None:
        self.index.client = Elasticsearch(f"http://127.0.0.1:{_closed_port()}", max_retries=0)

    def restore(self) -> None:
        self.index.client = self.real

    def dossiers(self) -> list[str]:
        return [k for k in self.store.list("dossiers/") if k.endswith("/manifest.json")]


@pytest.fixture
def world(store: ObjectStore, services: dict[str, str], tmp_path: Path) -> Iterator[World]:
    index = make_elastic(services)
    assert isinstance(index, ElasticIndex)
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    headers = {name: p.headers for name, p in make_people(store).items()}
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        world = World(client, store, index, index.client, headers)
        yield world
    world.restore()
    index.drop()


def _new(owner: str = CITIZEN_A, agency: str = AGENCY) -> dict:
    return NewDossier(
        agency=agency,
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=owner, name="Nguyễn Văn An"),
    ).model_dump(mode="json", exclude={"received_at"})


@pytest.mark.parametrize(
    "command", [["catch-up"], ["reindex", "--pending"]], ids=["catch-up", "reindex-pending"]
)
def test_a_dossier_stored_while_the_index_refuses_answers_201_and_catches_up(
    world: World, services: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    world.refuse()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = world.client.post("/api/v1/dossiers", json=_new(), headers={**world.headers["officer"], **key})
    assert first.status_code == 201, first.text  # before: 503, with the dossier stored all the same
    code = first.json()["code"]
    again = world.client.post("/api/v1/dossiers", json=_new(), headers={**world.headers["officer"], **key})
    assert again.status_code == 201 and again.json()["code"] == code
    assert again.headers["idempotent-replayed"] == "true"
    assert len(world.dossiers()) == 1
    assert pending(world.store)  # the dossier and the audit events, to index later

    world.restore()
    assert world.index.access_dossier(CITIZEN_A, AGENCY, utcnow()) is None  # the index missed it
    env = {
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_SEARCH": "elasticsearch",
        "SOHOA_ES_URL": services["SOHOA_ES_URL"],
        "SOHOA_ES_INDEX": world.index.index,
    }
    if isinstance(world.store, MinioStore):
        env |= {
            "SOHOA_STORAGE": "minio",
            "SOHOA_MINIO_ENDPOINT": services["SOHOA_MINIO_ENDPOINT"],
            "SOHOA_MINIO_ACCESS_KEY": services["SOHOA_MINIO_ACCESS_KEY"],
            "SOHOA_MINIO_SECRET_KEY": services["SOHOA_MINIO_SECRET_KEY"],
            "SOHOA_MINIO_BUCKET": world.store.bucket,
            "SOHOA_MINIO_RETENTION_DAYS": "1",
        }
    else:
        assert isinstance(world.store, FilesystemStore)
        env["SOHOA_DATA_DIR"] = str(world.store.root.parent)
    r = CliRunner().invoke(cli, command, env=env)
    assert r.exit_code == 0, r.output
    assert "changes indexed" in r.stdout
    assert pending(world.store) == []
    assert world.index.access_dossier(CITIZEN_A, AGENCY, utcnow()) == code


def test_an_upload_stored_while_the_index_refuses_answers_201(world: World, tmp_path: Path) -> None:
    scan = tmp_path / "giay.png"
    make_page(seed=81, lines=4, header=False).image.save(scan, dpi=(300, 300))
    world.refuse()

    def upload() -> tuple[int, dict]:
        files = {"file": ("giay.png", scan.read_bytes(), "image/png")}
        r = world.client.post("/api/v1/documents", files=files, headers=world.headers["staff"])
        return r.status_code, r.json()

    status, doc = upload()
    assert status == 201, doc  # before: 503 after the document was stored
    status, again = upload()
    assert status == 200 and again["id"] == doc["id"]
    assert pending(world.store)
    world.restore()
    word = max((w for w in doc["pages"][0]["text"].split() if w.isalpha()), key=len)
    search = {"q": word}
    assert (
        world.client.get("/api/v1/search", params=search, headers=world.headers["staff"]).json()["hits"] == []
    )
    assert catch_up(world.store, world.index) >= 1 and pending(world.store) == []
    hits = world.client.get("/api/v1/search", params=search, headers=world.headers["staff"]).json()["hits"]
    assert {h["doc_id"] for h in hits} == {doc["id"]}


def test_a_reuse_stored_while_the_index_refuses_answers_201(world: World, tmp_path: Path) -> None:
    scan = tmp_path / "giay.png"
    make_page(seed=82, lines=4, header=False).image.save(scan, dpi=(300, 300))
    files = {"file": ("giay.png", scan.read_bytes(), "image/png")}
    r = world.client.post(
        "/api/v1/documents", files=files, data={"owner_id": CITIZEN_A}, headers=world.headers["staff"]
    )
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    code = world.client.post("/api/v1/dossiers", json=_new(), headers=world.headers["officer"]).json()["code"]
    world.refuse()
    reuse = world.client.post(
        f"/api/v1/dossiers/{code}/reuse", json={"doc_id": doc_id}, headers=world.headers["officer"]
    )
    assert reuse.status_code == 201, reuse.text
    world.restore()
    assert world.index.owner_documents(CITIZEN_A)[0].reuse_count == 0
    catch_up(world.store, world.index)
    assert world.index.owner_documents(CITIZEN_A)[0].reuse_count == 1


@pytest.fixture
def sqlite_api(tmp_path: Path) -> Iterator[tuple[TestClient, dict, ObjectStore]]:
    store = FilesystemStore(tmp_path / "store")
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    headers = {name: p.headers for name, p in make_people(store).items()}
    app = create_app(
        settings, backends=Backends(settings, store, SqliteIndex(tmp_path / "i.db"), InlineExecutor())
    )
    with TestClient(app, base_url="https://testserver") as client:
        yield client, headers, store


def test_idempotency_keys(sqlite_api: tuple[TestClient, dict, ObjectStore]) -> None:
    client, headers, store = sqlite_api

    def post(who: str, key: str | None, body: dict | None = None) -> tuple[int, dict]:
        extra = {"Idempotency-Key": key} if key is not None else {}
        r = client.post("/api/v1/dossiers", json=body or _new(), headers={**headers[who], **extra})
        return r.status_code, r.json()

    def count() -> int:
        return len([k for k in store.list("dossiers/") if k.endswith("/manifest.json")])

    # Five tries side by side with one key: one dossier; each answer is it, or "still at work" (409).
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: post("officer", key), range(5)))
    assert count() == 1 and {s for s, _ in answers} <= {201, 409}, answers
    codes = {b["code"] for s, b in answers if s == 201}
    assert len(codes) == 1
    # A retry after them answers the same dossier; the same key for another request is refused.
    status, again = post("officer", key)
    assert status == 201 and {again["code"]} == codes
    status, other = post("officer", key, _new(owner="079185000123"))
    assert status == 422 and "different request" in other["message_en"]
    # Keys are each user's own; no key, no replay; a malformed key is refused.
    status, theirs = post("officer2", key, _new(agency=OTHER_AGENCY))
    assert status == 201 and theirs["code"] != again["code"]
    assert post("officer", None)[0] == 201 and post("officer", None)[0] == 201
    assert count() == 4
    assert post("officer", "bad key!")[0] == 422
    assert post("officer", "x" * 101)[0] == 422
    assert count() == 4
