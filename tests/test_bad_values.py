"""Values that used to end in a 500 or be stored as given: each is now refused with a clear 4xx (or a CLI
message and exit 2), on both backend pairs where the backend matters."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from people import AGENCY, CITIZEN_A, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
from sohoa.search.base import SearchIndex, SearchQuery
from sohoa.storage.base import ObjectStore

SOHOA = str(Path(sys.executable).parent / "sohoa")


@pytest.fixture
def api(store: ObjectStore, index: SearchIndex, tmp_path: Path) -> Iterator[tuple[TestClient, dict]]:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    people = make_people(store)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield client, {name: p.headers for name, p in people.items()}


def _dossier(received_at: str) -> dict[str, object]:
    return {
        "agency": AGENCY,
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký thường trú",
        "applicant": {"id_number": CITIZEN_A, "name": "Nguyễn Văn An"},
        "received_at": received_at,
    }


@pytest.mark.parametrize(
    "received_at", ["9999-12-31T00:00:00+00:00", "0001-01-01T00:00:00+14:00", "1970-01-01T00:00:00Z"]
)
def test_a_reception_time_off_the_calendar_or_out_of_range_is_refused(
    api: tuple[TestClient, dict], received_at: str
) -> None:
    client, headers = api
    r = client.post("/api/v1/dossiers", json=_dossier(received_at), headers=headers["officer"])
    assert r.status_code == 422, r.text
    assert "reception time" in r.text


def test_a_page_past_the_result_window_is_refused_on_both_backends(api: tuple[TestClient, dict]) -> None:
    client, headers = api
    r = client.get(
        "/api/v1/search", params={"q": "hồ sơ", "offset": 10_000, "limit": 200}, headers=headers["officer"]
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "10000" in r.json()["detail"]
    ok = client.get(
        "/api/v1/search", params={"q": "hồ sơ", "offset": 9_800, "limit": 200}, headers=headers["officer"]
    )
    assert ok.status_code == 200, ok.text
    with pytest.raises(ValidationError):
        SearchQuery(text="x", offset=9_990, limit=20)


def test_ids_too_long_for_a_key_are_not_found_on_both_stores(api: tuple[TestClient, dict]) -> None:
    client, headers = api
    long = "A" * 300
    for path in (f"/api/v1/dossiers/{long}", f"/api/v1/batches/{long}"):
        r = client.get(path, headers=headers["officer"])
        assert r.status_code == 404, (path, r.text)


@pytest.mark.parametrize("agency", ["../x", "a/b", ".hidden", "x" * 41, "Sở Tư pháp"])
def test_an_agency_code_is_letters_digits_and_dots(agency: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        User(username="someone", role=Role.OFFICER, agency=agency)
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run(
        [SOHOA, "users", "add", "someone", "--role", "officer", "--agency", agency],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "agency code" in r.stderr
    assert not list((tmp_path / "data").rglob("someone.json"))


def test_the_audit_trail_refuses_times_off_the_calendar_and_pages_past_its_window(
    api: tuple[TestClient, dict],
) -> None:
    client, headers = api
    # An offset Python takes but Elasticsearch does not is turned into UTC; a time before year 1 is refused.
    r = client.get("/api/v1/audit", params={"from": "0232-03-21T15:05:43+22:11"}, headers=headers["admin"])
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/audit", params={"to": "0001-01-01T00:00:00+14:00"}, headers=headers["admin"])
    assert r.status_code == 422 and "calendar" in r.text, r.text
    r = client.get("/api/v1/audit", params={"offset": 10_000, "limit": 200}, headers=headers["admin"])
    assert r.status_code == 422, r.text
    r = client.get("/api/v1/me/reads", params={"offset": 10_000, "limit": 200}, headers=headers["citizen-a"])
    assert r.status_code == 422, r.text
