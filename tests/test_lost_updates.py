"""Changes to one document at the same moment, through the API on both backend pairs: none is lost.

Revocations, confirmations and fact edits are applied to the record as stored when written (a conditional
write, retried on the fresh record), so of three parallel revocations exactly one succeeds, and parallel
changes of different fields all stay. The record carries its version as an ETag; a change sent with a stale
If-Match is refused with 412 and writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from people import AGENCY, CITIZEN_A, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
from sohoa.records.models import DocumentKind
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore

Api = tuple[TestClient, dict[str, dict[str, str]], ObjectStore, str]


@pytest.fixture
def api(store: ObjectStore, index: SearchIndex, tmp_path: Path) -> Iterator[Api]:
    people = {name: p.headers for name, p in make_people(store).items()}
    accounts.add_user(store, User(username="officer3", role=Role.OFFICER, agency=AGENCY))
    token, _ = accounts.issue_token(store, "officer3", lifetime=timedelta(hours=1))
    people["officer3"] = {"Authorization": f"Bearer {token}"}
    scan = tmp_path / "permit.png"
    make_page(seed=73, size="A5", lines=3).image.save(scan, dpi=(300, 300))
    meta = IngestMeta(
        name=scan.name, owner_id=CITIZEN_A, doc_type="giay-phep", kind=DocumentKind.RESULT, agency=AGENCY
    )
    doc_id = ingest_file(scan, store=store, index=index, meta=meta, executor=InlineExecutor()).document.id
    settings = Settings(data_dir=tmp_path / "data", workers=4)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield client, people, store, doc_id


def _stored(store: ObjectStore, doc_id: str) -> bytes:
    return store.get_bytes(keys.document_manifest(doc_id))


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls in parallel, released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_of_three_parallel_revocations_exactly_one_succeeds(api: Api) -> None:
    client, people, _, doc_id = api
    url = f"/api/v1/documents/{doc_id}/revoke"
    answers = _at_once(
        [
            lambda who=who: client.post(url, json={"reason": f"Thu hồi bởi {who}"}, headers=people[who])
            for who in ("officer", "officer3", "officer")
        ]
    )
    assert sorted(r.status_code for r in answers) == [200, 409, 409], [r.text for r in answers]
    won = next(r for r in answers if r.status_code == 200).json()["revocation"]
    for refused in (r for r in answers if r.status_code == 409):
        assert refused.json()["type"].endswith("/conflict")
        assert "thu hồi" in refused.json()["title"] and "revoked" in refused.json()["detail"]
    stored = client.get(f"/api/v1/documents/{doc_id}", headers=people["officer"]).json()
    assert stored["validity"] == "revoked" and stored["revocation"] == won  # the one that said 200


def test_parallel_confirmations_by_two_officers_both_stay(api: Api) -> None:
    client, people, _, doc_id = api
    url = f"/api/v1/documents/{doc_id}/fields/confirm"
    issuer, signer = "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "Nguyễn Văn An"
    for _ in range(3):  # rounds: each must keep both, not just on a lucky interleaving
        answers = _at_once(
            [
                lambda v=issuer: client.post(
                    url, json={"fields": [{"name": "issuer", "value": v}]}, headers=people["officer"]
                ),
                lambda v=signer: client.post(
                    url, json={"fields": [{"name": "signer", "value": v}]}, headers=people["officer3"]
                ),
            ]
        )
        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        issuer, signer = issuer + " X", signer + " Y"
    stored = client.get(f"/api/v1/documents/{doc_id}", headers=people["officer"]).json()
    confirmed = {(f["name"], f["value"], f["confirmed_by"]) for f in stored["fields"] if f["confirmed"]}
    for k, suffix in enumerate(("", " X", " X X")):
        assert ("issuer", "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI" + suffix, "officer") in confirmed, (k, confirmed)
    for suffix in ("", " Y", " Y Y"):
        assert ("signer", "Nguyễn Văn An" + suffix, "officer3") in confirmed, confirmed


def test_parallel_edits_of_different_facts_are_all_applied(api: Api) -> None:
    client, people, _, doc_id = api
    url = f"/api/v1/documents/{doc_id}"
    changes = {
        "title": "Giấy phép xây dựng",
        "issuer": "Sở Xây dựng tỉnh Đồng Nai",
        "signer": "Trần Thị Bình",
        "scope": "Toàn tỉnh",
        "number_symbol": "123/GP-SXD",
        "valid_until": "2031-12-31",
    }
    officers = ["officer", "officer3"] * 3
    answers = _at_once(
        [
            lambda name=name, value=value, who=who: client.patch(url, json={name: value}, headers=people[who])
            for (name, value), who in zip(changes.items(), officers, strict=True)
        ]
    )
    assert [r.status_code for r in answers] == [200] * len(changes), [r.text for r in answers]
    stored = client.get(url, headers=people["officer"]).json()
    assert {name: stored[name] for name in changes} == changes
    assert sorted(e["field"] for e in stored["edits"]) == sorted(changes)


def test_the_record_carries_its_etag_and_changes_check_if_match(api: Api) -> None:
    client, people, store, doc_id = api
    officer = people["officer"]
    url = f"/api/v1/documents/{doc_id}"
    first = client.get(url, headers=officer)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert client.get(url, headers=people["citizen-a"]).headers["ETag"] == etag  # the owner sees the same

    r = client.patch(url, json={"title": "Giấy phép"}, headers={**officer, "If-Match": etag})
    assert r.status_code == 200, r.text
    fresh = r.headers["ETag"]
    assert fresh != etag and client.get(url, headers=officer).headers["ETag"] == fresh

    # The old ETag is stale now: every kind of change is refused with 412 and writes nothing.
    before = _stored(store, doc_id)
    stale: list[tuple[str, str, dict[str, Any]]] = [
        ("PATCH", url, {"issuer": "Sở Tư pháp"}),
        ("POST", f"{url}/fields/confirm", {"fields": [{"name": "signer", "value": "Lê Văn C"}]}),
        ("POST", f"{url}/revoke", {"reason": "Cấp sai đối tượng"}),
    ]
    for method, path, body in stale:
        for header in (etag, f'"nope", {etag}', f"W/{fresh}"):  # a weak tag never matches If-Match
            r = client.request(method, path, json=body, headers={**officer, "If-Match": header})
            assert r.status_code == 412, (method, header, r.text)
            problem = r.json()
            assert r.headers["content-type"].startswith("application/problem+json")
            assert problem["type"].endswith("/precondition_failed") and problem["status"] == 412
            assert "đã được sửa" in problem["title"] and "changed since you read it" in problem["detail"]
    assert _stored(store, doc_id) == before

    # The current one (alone, in a list, or *) lets each through, and the answer names the new version.
    r = client.post(
        f"{url}/fields/confirm",
        json={"fields": [{"name": "signer", "value": "Lê Văn C"}]},
        headers={**officer, "If-Match": f'"other", {fresh}'},
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{url}/revoke",
        json={"reason": "Cấp sai đối tượng"},
        headers={**officer, "If-Match": r.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["validity"] == "revoked"
    assert client.get(url, headers=officer).headers["ETag"] == r.headers["ETag"]
    r = client.patch(url, json={"scope": "Toàn tỉnh"}, headers={**officer, "If-Match": "*"})
    assert r.status_code == 200, r.text

    # Whoever may not change the document learns nothing from If-Match: 404 or 403 as without it.
    stale_tag = {"If-Match": '"0000"'}
    assert (
        client.patch(url, json={"title": "x"}, headers={**people["officer2"], **stale_tag}).status_code == 404
    )
    assert (
        client.patch(url, json={"title": "x"}, headers={**people["citizen-a"], **stale_tag}).status_code
        == 403
    )
