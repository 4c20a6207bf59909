"""The HTTP API on the embedded default: upload, read, download, page images and words, search, and clear
problem-details errors for everything it refuses."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from corpus import bad_files, hostile_files, hostile_kinds, write_sample_scans
from people import Person, make_people
from sohoa.api.app import create_app
from sohoa.api.settings import Settings


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("api-scans")
    write_sample_scans(out, seed=31)
    return out


@pytest.fixture(scope="module")
def app_people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, Person]]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("api-data"), workers=2)
    with TestClient(create_app(settings)) as c:
        yield c, make_people(c.app.state.backends.store)


@pytest.fixture(scope="module")
def client(app_people: tuple[TestClient, dict[str, Person]]) -> TestClient:
    """The archive staff member of AGENCY (uploads, reads and searches what the agency digitized)."""
    c, people = app_people
    c.headers.update(people["staff"].headers)
    return c


@pytest.fixture(scope="module")
def uploaded(client: TestClient, scans: Path) -> dict:
    with (scans / "two-pages.pdf").open("rb") as f:
        r = client.post(
            "/api/v1/documents",
            files={"file": ("hồ sơ 1.pdf", f, "application/pdf")},
            data={
                "owner_id": "001089012345",
                "doc_type": "giay-khai-sinh",
                "dossier_code": "000.00.11.H29-250912-0007",
            },
        )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/documents/{r.json()['id']}"
    return r.json()


def test_upload_creates_a_document(uploaded: dict) -> None:
    assert uploaded["page_count"] == 2
    assert uploaded["owner_id"] == "001089012345"
    assert uploaded["master_name"] == "hồ sơ 1.pdf"
    assert uploaded["master_media_type"] == "application/pdf"
    assert len(uploaded["master_sha256"]) == 64


def test_same_upload_again_answers_200_with_the_same_document(
    client: TestClient, scans: Path, uploaded: dict
) -> None:
    with (scans / "two-pages.pdf").open("rb") as f:
        r = client.post("/api/v1/documents", files={"file": ("again.pdf", f, "application/pdf")})
    assert r.status_code == 200
    assert r.json()["id"] == uploaded["id"]


def test_read_document_pdf_image_and_words(client: TestClient, uploaded: dict) -> None:
    doc_id = uploaded["id"]
    r = client.get(f"/api/v1/documents/{doc_id}")
    assert r.status_code == 200
    assert [p["number"] for p in r.json()["pages"]] == [1, 2]

    pdf = client.get(f"/api/v1/documents/{doc_id}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(pdf.content)) as doc:
        assert len(doc.pages) == 2

    image = client.get(f"/api/v1/pages/{doc_id}/2/image")
    assert image.status_code == 200
    assert image.content[:3] == b"\xff\xd8\xff"

    words = client.get(f"/api/v1/pages/{doc_id}/1/words")
    assert words.status_code == 200
    assert len(words.json()) > 10
    assert {"text", "left", "top", "width", "height", "confidence"} <= set(words.json()[0])


def test_search(client: TestClient, uploaded: dict) -> None:
    r = client.get("/api/v1/search", params={"q": "ho so", "owner_id": "001089012345"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 1
    assert {h["doc_id"] for h in body["hits"]} == {uploaded["id"]}
    assert all("<mark>" in h["snippet"] for h in body["hits"])
    r = client.get("/api/v1/search", params={"q": "ho so", "dossier_code": "không-có"})
    assert r.json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/documents/0123456789abcdef01234567", 404),
        ("/api/v1/documents/..%2F..%2Fetc", 404),
        ("/api/v1/documents/0123456789abcdef01234567/pdf", 404),
        ("/api/v1/pages/0123456789abcdef01234567/1/image", 404),
        ("/api/v1/pages/0123456789abcdef01234567/0/image", 422),
        ("/api/v1/search?q=%21%21%21", 422),
        ("/api/v1/search?q=ho&limit=100000", 422),
        ("/api/v1/search?q=ho&date_from=12-09-2025", 422),
        ("/api/v1/nothing-here", 404),
    ],
)
def test_errors_are_problem_details(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert "Traceback" not in r.text and "/work/" not in r.text and "/tmp/" not in r.text


def test_page_beyond_the_document(client: TestClient, uploaded: dict) -> None:
    r = client.get(f"/api/v1/pages/{uploaded['id']}/3/image")
    assert r.status_code == 404
    assert "trang 3" in r.json()["message_vi"]


@pytest.mark.parametrize(
    "kind", ["empty", "not-a-scan", "truncated-pdf", "encrypted-pdf", "pixel-bomb", "garbage-png"]
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    client: TestClient, scans: Path, tmp_path: Path, kind: str, uploaded: dict
) -> None:
    path, code = bad_files(tmp_path, scans / "two-pages.pdf")[kind]
    store = client.app.state.backends.store

    def content() -> list[str]:
        # The refusal itself is on the audit trail and in its failed job (ingest.jobs); nothing else may
        # appear (an unfinished job's open-jobs/ marker neither).
        return [k for k in store.list("") if not k.startswith(("audit/", "jobs/"))]

    before = content()
    with path.open("rb") as f:
        r = client.post("/api/v1/documents", files={"file": ("scan.pdf", f, "application/pdf")})
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert body["type"].endswith(f"/{code}")
    assert body["message_vi"] and body["message_en"]
    assert content() == before
    assert client.get("/api/v1/health").status_code == 200


def test_upload_over_the_size_limit(tmp_path: Path, scans: Path) -> None:
    settings = Settings(data_dir=tmp_path, workers=1, max_upload_bytes=10_000)
    with TestClient(create_app(settings)) as c, (scans / "two-pages.pdf").open("rb") as f:
        store = c.app.state.backends.store
        staff = make_people(store)["staff"]
        before = set(store.list(""))
        r = c.post(
            "/api/v1/documents", files={"file": ("big.pdf", f, "application/pdf")}, headers=staff.headers
        )
        assert r.status_code == 413
        assert r.json()["type"].endswith("/too_large")
        assert set(store.list("")) == before

        # Sent without a declared length (chunked), it is cut off while streaming, with the same answer.
        def body() -> Iterator[bytes]:
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4\n'
            for _ in range(50):
                yield b"0" * 1000
            yield b"\r\n--b--\r\n"

        headers = {**staff.headers, "Content-Type": "multipart/form-data; boundary=b"}
        r = c.post("/api/v1/documents", content=body(), headers=headers)
        assert r.status_code == 413
        assert r.json()["message_vi"].startswith("Tệp vượt quá")
        assert not [k for k in set(store.list("")) - before if not k.startswith(("audit/", "credentials/"))]


def test_invalid_owner_id_upload(client: TestClient, scans: Path) -> None:
    with (scans / "page-00.png").open("rb") as f:
        r = client.post(
            "/api/v1/documents", files={"file": ("a.png", f, "image/png")}, data={"owner_id": "123"}
        )
    assert r.status_code == 422
    assert "12" in r.json()["message_vi"]


def test_openapi_lists_every_route_under_api_v1(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert client.get("/docs").status_code == 200


@pytest.fixture(scope="module")
def hostile(scans: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, bytes, str]]:
    return hostile_files(tmp_path_factory.mktemp("hostile"), scans / "two-pages.pdf")


def test_hostile_corpus_is_large_enough(hostile: dict[str, tuple[str, bytes, str]]) -> None:
    assert len(hostile) >= 20
    assert sorted(hostile) == sorted(hostile_kinds())


@pytest.mark.parametrize("kind", sorted(hostile_kinds()))
def test_hostile_uploads_are_refused_cleanly(
    client: TestClient, hostile: dict[str, tuple[str, bytes, str]], kind: str, uploaded: dict
) -> None:
    name, data, code = hostile[kind]
    store = client.app.state.backends.store
    before = [k for k in store.list("") if not k.startswith(("audit/", "jobs/"))]  # both record refusals
    r = client.post("/api/v1/documents", files={"file": (name, data, "application/pdf")})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith(f"/{code}"), r.text
    assert r.json()["message_vi"] and r.json()["message_en"]
    assert "Traceback" not in r.text and "/tmp/" not in r.text and "/work/" not in r.text
    assert [k for k in store.list("") if not k.startswith(("audit/", "jobs/"))] == before
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert client.get(f"/api/v1/documents/{uploaded['id']}").status_code == 200
