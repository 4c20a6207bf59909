"""Download links end with the credential that made them: a link asked for with an API token or a web
session answers 410 once that token or session is revoked (by `sohoa users revoke-token`, the accounts
code, or signing out), on both stores. MinIO presigned URLs are handed out only with a public endpoint set,
and then name that endpoint (and still download)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_minio
from people import make_people
from sohoa.api.app import create_app
from sohoa.api.auth import CSRF_HEADER
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.ingest.executor import InlineExecutor
from sohoa.samples.scangen import make_page
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore

SOHOA = str(Path(sys.executable).parent / "sohoa")


@dataclass
class World:
    client: TestClient
    store: ObjectStore
    settings: Settings
    tokens: dict[str, str]
    doc_id: str

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def link(self, who: str) -> str:
        r = self.client.get(f"/api/v1/documents/{self.doc_id}/download-link", headers=self.headers(who))
        assert r.status_code == 200, r.text
        return r.json()["url"]


def _world(store: ObjectStore, tmp_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    people = make_people(store)
    index = SqliteIndex(tmp_path / "index.sqlite3")
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    scan = tmp_path / "giay.png"
    make_page(seed=71, lines=4).image.save(scan, dpi=(300, 300))
    with TestClient(app, base_url="https://testserver") as client:
        tokens = {name: p.token for name, p in people.items()}
        r = client.post(
            "/api/v1/documents",
            files={"file": ("giay.png", scan.read_bytes(), "image/png")},
            headers={"Authorization": f"Bearer {tokens['staff']}"},
        )
        assert r.status_code == 201, r.text
        yield World(client, store, settings, tokens, r.json()["id"])


@pytest.fixture
def world(store: ObjectStore, tmp_path: Path) -> Iterator[World]:
    yield from _world(store, tmp_path)


def _refused(world: World, url: str) -> None:
    r = world.client.get(url)
    assert r.status_code == 410, r.text
    body = r.json()
    assert body["type"].endswith("/gone") and "revoked" in body["message_en"]
    assert "thu hồi" in body["message_vi"]


def test_a_link_ends_when_its_token_is_revoked(world: World) -> None:
    mine, others = world.link("staff"), world.link("officer")
    assert world.client.get(mine).content[:5] == b"%PDF-"
    credential_id, _ = accounts.parse_token(world.tokens["staff"]) or ("", "")
    accounts.revoke_token(world.store, credential_id)
    _refused(world, mine)  # before: the link worked to its expiry, up to 300 s later
    assert world.client.get(others).content[:5] == b"%PDF-"  # another person's link is theirs
    accounts.disable_user(world.store, "officer")
    _refused(world, others)


def test_a_link_ends_when_its_session_signs_out(world: World) -> None:
    accounts.set_password(world.store, "staff", "mật khẩu dài đủ")
    session = TestClient(world.client.app, base_url="https://testserver")
    r = session.post("/api/v1/auth/login", json={"username": "staff", "password": "mật khẩu dài đủ"})
    assert r.status_code == 200, r.text
    link = session.get(f"/api/v1/documents/{world.doc_id}/download-link").json()["url"]
    assert world.client.get(link).content[:5] == b"%PDF-"
    assert (
        session.post("/api/v1/auth/logout", headers={CSRF_HEADER: r.json()["csrf_token"]}).status_code == 204
    )
    _refused(world, link)


def test_a_link_ends_when_the_cli_revokes_its_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for world in _world(FilesystemStore(data / "store"), tmp_path):
        link = world.link("staff")
        assert world.client.get(link).status_code == 200
        credential_id, _ = accounts.parse_token(world.tokens["staff"]) or ("", "")
        env = {**os.environ, "SOHOA_DATA_DIR": str(data)}
        run = subprocess.run(
            [SOHOA, "users", "revoke-token", credential_id],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        _refused(world, link)


def test_minio_links_are_sohoas_own_unless_a_public_endpoint_is_set(
    services: dict[str, str], tmp_path: Path
) -> None:
    internal = services["SOHOA_MINIO_ENDPOINT"]
    for world in _world(make_minio(services), tmp_path):
        # No public endpoint: not a presigned URL naming the internal address, but sohoa's own link.
        link = world.link("staff")
        assert link.startswith("/api/v1/files/") and internal not in link
        # With one: a presigned URL signed for that host, valid presigned_url_seconds, which downloads.
        public = "http://" + internal.replace("127.0.0.1", "localhost")
        store = world.store
        assert isinstance(store, MinioStore)
        store.public_endpoint = public
        url = world.link("staff")
        assert url.startswith(f"{public}/{store.bucket}/documents/{world.doc_id}/") and internal not in url
        assert f"X-Amz-Expires={world.settings.presigned_url_seconds}" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read(5) == b"%PDF-"


def test_the_public_endpoint_comes_from_the_settings(services: dict[str, str]) -> None:
    from sohoa.api.backends import make_store

    bucket = f"t-{uuid.uuid4().hex[:16]}"
    settings = Settings(
        storage="minio",
        minio_endpoint=services["SOHOA_MINIO_ENDPOINT"],
        minio_access_key=services["SOHOA_MINIO_ACCESS_KEY"],
        minio_secret_key=services["SOHOA_MINIO_SECRET_KEY"],
        minio_bucket=bucket,
        minio_retention_days=1,
        minio_public_endpoint="https://files.example.org",
    )
    store = make_store(settings)
    assert isinstance(store, MinioStore)
    store.put_bytes("documents/p/searchable.pdf", b"%PDF-1.7")
    url = store.presigned_url("documents/p/searchable.pdf")
    assert url.startswith(f"https://files.example.org/{bucket}/documents/p/searchable.pdf?")
