"""Stored bytes damaged for real (the blob on disk rewritten; on MinIO a new object version with other bytes
under the recorded sha256) are caught on read by every way in: the API answers problem details with code
integrity_error and the finding is audited and logged by key, a web page answers an HTML error page, the CLI
says so and exits 5 without a traceback. Ingesting the original file again writes the master back, and the
damaged bytes stay retrievable as evidence. On both stores."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from damage import damage
from people import AGENCY, CITIZEN_A, Person, make_people
from sohoa.api.app import create_app
from sohoa.api.auth import SESSION_COOKIE
from sohoa.api.backends import Backends
from sohoa.api.cli import app as cli
from sohoa.api.settings import Settings
from sohoa.archive.accounts import issue_token
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import TokenKind
from sohoa.records.models import Document
from sohoa.samples.scangen import make_page, write_pdf
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import IntegrityError, ObjectLocked, ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small page of each kind a counter receives: a PNG scan, a JPEG photo, a one-page PDF."""
    out = tmp_path_factory.mktemp("integrity-originals")
    pages = [make_page(seed=90 + i, size="A5", lines=4) for i in range(3)]
    pages[0].image.save(out / "scan.png", dpi=(300, 300))
    pages[1].image.convert("RGB").save(out / "photo.jpg", quality=85, dpi=(300, 300))
    write_pdf([pages[2].image], out / "paper.pdf")
    return {"png": out / "scan.png", "jpg": out / "photo.jpg", "pdf": out / "paper.pdf"}


@dataclass
class World:
    store: ObjectStore
    index: SqliteIndex
    client: TestClient
    people: dict[str, Person]
    originals: dict[str, Path]
    data_dir: Path
    env: dict[str, str]  # what the CLI needs to open the same store and index
    ingested: dict[str, Document]

    def doc(self, kind: str) -> Document:
        """The original of `kind` ("png", "jpg", "pdf") ingested, on first use (OCR is what takes time)."""
        if kind not in self.ingested:
            self.ingested[kind] = _ingest(self.store, self.index, self.originals[kind])
        return self.ingested[kind]


def _ingest(world_store: ObjectStore, index: SqliteIndex, path: Path, by: str = "staff") -> Document:
    meta = IngestMeta(name=path.name, owner_id=CITIZEN_A, agency=AGENCY, by=by)
    return ingest_file(path, store=world_store, index=index, meta=meta, executor=InlineExecutor()).document


@pytest.fixture
def world(
    request: pytest.FixtureRequest, store: ObjectStore, tmp_path: Path, originals: dict[str, Path]
) -> Iterator[World]:
    # The fs `store` fixture lives in tmp_path/"store", which is where the CLI's settings look too.
    data_dir = tmp_path
    index = SqliteIndex(data_dir / "index.sqlite3")
    settings = Settings(data_dir=data_dir, workers=1)
    people = make_people(store)
    env = {"SOHOA_DATA_DIR": str(data_dir), "SOHOA_WORKERS": "1"}
    if isinstance(store, MinioStore):
        services = request.getfixturevalue("services")
        env.update(
            SOHOA_STORAGE="minio",
            SOHOA_MINIO_ENDPOINT=store.endpoint,
            SOHOA_MINIO_BUCKET=store.bucket,
            SOHOA_MINIO_ACCESS_KEY=services["SOHOA_MINIO_ACCESS_KEY"],
            SOHOA_MINIO_SECRET_KEY=services["SOHOA_MINIO_SECRET_KEY"],
            SOHOA_MINIO_RETENTION_DAYS="1",
        )
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield World(store, index, client, people, originals, data_dir, env, {})
    index.close()


def evidence_bytes(store: ObjectStore, evidence: str) -> bytes:
    """The damaged bytes kept where `restore_file` said."""
    if isinstance(store, FilesystemStore):
        return store.get_bytes(evidence)
    assert isinstance(store, MinioStore)
    where, _, version = evidence.partition("?versionId=")
    bucket, _, key = where.partition("/")
    response = store.client.get_object(bucket, key, version_id=version)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def audit_trail(store: ObjectStore) -> list[dict]:
    return [json.loads(store.get_bytes(k)) for k in store.list("audit/")]


def _as(world: World, who: str) -> dict[str, str]:
    return world.people[who].headers


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("png", "master"),
        ("jpg", "master"),
        ("pdf", "master"),
        ("png", "page image"),
        ("pdf", "searchable pdf"),
    ],
)
def test_api_answers_integrity_error_audited_and_logged(
    world: World, originals: dict[str, Path], kind: str, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    doc = world.doc(kind)
    key, url = {
        "master": (doc.master_key, f"/api/v1/documents/{doc.id}/master"),
        "page image": (doc.pages[0].image_key, f"/api/v1/pages/{doc.id}/1/image"),
        "searchable pdf": (doc.searchable_pdf_key or "", f"/api/v1/documents/{doc.id}/pdf"),
    }[what]
    good = world.client.get(url, headers=_as(world, "officer"))
    assert good.status_code == 200, good.text
    if what == "master":
        assert good.content == originals[kind].read_bytes()
        assert good.headers["content-type"].startswith(doc.master_media_type)

    damage(world.store, key)
    with caplog.at_level(logging.ERROR, logger="sohoa.integrity"):
        r = world.client.get(url, headers=_as(world, "officer"))
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/integrity_error")
    assert key in body["message_en"] and "bị hỏng" in body["message_vi"]
    assert "Traceback" not in r.text and str(world.data_dir) not in r.text
    assert any(key in rec.getMessage() for rec in caplog.records if rec.levelno >= logging.ERROR)
    found = [e for e in audit_trail(world.store) if e["action"] == "integrity_error"]
    assert len(found) == 1
    assert found[0]["detail"]["key"] == key
    assert found[0]["record"] == doc.id and found[0]["actor"] == "officer" and found[0]["status"] == 500


def test_web_page_answers_an_html_error_page(world: World) -> None:
    doc = world.doc("png")
    token, _ = issue_token(world.store, "officer", lifetime=timedelta(hours=1), kind=TokenKind.SESSION)
    world.client.cookies.set(SESSION_COOKIE, token)
    assert world.client.get(f"/documents/{doc.id}").status_code == 200
    damage(world.store, doc.pages[0].words_key)
    r = world.client.get(f"/documents/{doc.id}")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower() and "bị hỏng" in r.text and "integrity_error" not in r.text
    assert [e["detail"]["key"] for e in audit_trail(world.store) if e["action"] == "integrity_error"] == [
        doc.pages[0].words_key
    ]


def test_cli_says_the_copy_is_damaged_and_exits_5(world: World, tmp_path: Path) -> None:
    runner = CliRunner()
    doc = world.doc("png")
    out = tmp_path / "out.png"
    ok = runner.invoke(cli, ["download", doc.id, "--master", "-o", str(out)], env=world.env)
    assert ok.exit_code == 0, ok.output
    original = out.read_bytes()
    out.unlink()

    damage(world.store, doc.master_key)
    r = runner.invoke(cli, ["download", doc.id, "--master", "-o", str(out)], env=world.env)
    assert r.exit_code == 5, r.output
    assert "bị hỏng" in r.stderr and "damaged" in r.stderr and doc.master_key in r.stderr
    assert "Traceback" not in r.output and not isinstance(r.exception, IntegrityError)
    assert not out.exists()  # nothing half-written
    assert any(
        e["action"] == "integrity_error"
        and e["detail"]["key"] == doc.master_key
        and e["actor"].startswith("cli:")
        for e in audit_trail(world.store)
    )

    damage(world.store, f"documents/{doc.id}/manifest.json")
    r = runner.invoke(cli, ["show", doc.id], env=world.env)
    assert r.exit_code == 5, r.output
    assert "manifest.json" in r.stderr and "Traceback" not in r.output
    assert original  # the file as it came out while intact


@pytest.mark.parametrize("kind", ["png", "pdf"])
def test_ingesting_the_original_again_repairs_the_master(
    world: World, originals: dict[str, Path], kind: str
) -> None:
    doc = world.doc(kind)
    original = originals[kind].read_bytes()
    damaged = damage(world.store, doc.master_key)
    url = f"/api/v1/documents/{doc.id}/master"
    assert world.client.get(url, headers=_as(world, "officer")).status_code == 500

    if kind == "png":  # the CLI way
        r = CliRunner().invoke(cli, ["ingest", str(originals[kind]), "--agency", AGENCY], env=world.env)
        assert r.exit_code == 0, r.output
        assert "repaired" in r.stdout and doc.id in r.stdout
    else:  # the API way: the same upload answers 200, saying it repaired the master
        with originals[kind].open("rb") as f:
            r = world.client.post(
                "/api/v1/documents",
                files={"file": (originals[kind].name, f, "application/pdf")},
                headers=_as(world, "staff"),
            )
        assert r.status_code == 200, r.text
        assert r.json()["id"] == doc.id and r.headers["sohoa-repaired"] == "master"

    fixed = world.client.get(url, headers=_as(world, "officer"))
    assert fixed.status_code == 200 and fixed.content == original
    assert world.store.get_bytes(doc.master_key) == original
    repairs = [e for e in audit_trail(world.store) if e["action"] == "repair"]
    assert len(repairs) == 1 and repairs[0]["record"] == doc.id
    assert repairs[0]["detail"]["key"] == doc.master_key
    assert evidence_bytes(world.store, repairs[0]["detail"]["evidence"]) == damaged

    meta = IngestMeta(agency=AGENCY)  # the agency's own record (another agency's would be its own)
    again = ingest_file(
        originals[kind], store=world.store, index=world.index, meta=meta, executor=InlineExecutor()
    )
    assert not again.created and not again.repaired  # intact now: nothing to do


def test_restore_writes_back_only_the_recorded_bytes(
    world: World, originals: dict[str, Path], tmp_path: Path
) -> None:
    doc = world.doc("jpg")
    other = tmp_path / "other.jpg"
    other.write_bytes(b"\xff\xd8\xff not the recorded bytes")
    assert world.store.restore_file(doc.master_key, other) is None  # intact: left alone
    damaged = damage(world.store, doc.master_key)
    with pytest.raises(ObjectLocked):
        world.store.restore_file(doc.master_key, other)
    with pytest.raises(ObjectLocked):
        world.store.put_file(doc.master_key, other, locked=True)
    with pytest.raises(IntegrityError):
        world.store.get_bytes(doc.master_key)
    assert (
        evidence_bytes(world.store, world.store.restore_file(doc.master_key, originals["jpg"]) or "")
        == damaged
    )
    assert world.store.get_bytes(doc.master_key) == originals["jpg"].read_bytes()


def test_writing_a_derivative_again_replaces_the_damaged_copy(world: World) -> None:
    """A derivative rebuilt from the master comes out byte for byte the same: writing it again must not
    leave the damaged copy in place (the filesystem store shares blobs by content), and the damaged bytes
    stay as evidence (a quarantine key; on MinIO the previous version)."""
    doc = world.doc("png")
    key = doc.pages[0].words_key
    good = world.store.get_bytes(key)
    damaged = damage(world.store, key)
    world.store.put_bytes(key, good, content_type="application/json")
    assert world.store.get_bytes(key) == good
    if isinstance(world.store, FilesystemStore):
        kept = [world.store.get_bytes(k) for k in world.store.list("quarantine/")]
    else:
        assert isinstance(world.store, MinioStore)
        versions = world.store.client.list_objects(world.store.bucket, prefix=key, include_version=True)
        kept = [
            evidence_bytes(world.store, f"{world.store.bucket}/{key}?versionId={v.version_id}")
            for v in versions
        ]
    assert damaged in kept
