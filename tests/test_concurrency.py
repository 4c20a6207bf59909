"""Changes made side by side, on both backend pairs: the same file uploaded five times at once is one
document, and exactly one answer says it was created."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from people import make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.ingest.executor import InlineExecutor
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.storage.base import ObjectStore


@pytest.fixture
def api(
    store: ObjectStore, index: SearchIndex, tmp_path: Path
) -> Iterator[tuple[TestClient, dict, ObjectStore]]:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    people = make_people(store)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield client, {name: p.headers for name, p in people.items()}, store


def test_five_parallel_uploads_of_one_file_are_one_document_and_one_created(
    api: tuple[TestClient, dict, ObjectStore], tmp_path: Path
) -> None:
    client, headers, store = api
    scan = tmp_path / "same.png"
    make_page(seed=21, lines=5).image.save(scan, dpi=(300, 300))
    data = scan.read_bytes()

    def upload(_: int) -> tuple[int, str]:
        r = client.post(
            "/api/v1/documents", files={"file": ("same.png", data, "image/png")}, headers=headers["staff"]
        )
        return r.status_code, r.json().get("id", r.text)

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(upload, range(5)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200, 200, 200, 200, 201], answers
    assert len({doc_id for _, doc_id in answers}) == 1
    assert len([k for k in store.list("documents/") if k.endswith("/manifest.json")]) == 1
    assert len(list(store.list("by-sha256/"))) == 1
