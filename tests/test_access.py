"""Access control and the audit trail, through the HTTP API: every route × every role against the policy,
one citizen unable to reach another's papers by any way in, web sessions with CSRF, login throttling,
signed download links, and the exact trail a scripted session leaves (on both backend pairs)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from conftest import make_elastic, make_minio
from people import AGENCY, CITIZEN_A, CITIZEN_B, Person, make_people
from sohoa.api.app import create_app
from sohoa.api.auth import CSRF_HEADER, POLICY, SESSION_COOKIE, WEB_POLICY
from sohoa.api.backends import Backends
from sohoa.api.limits import LoginThrottle
from sohoa.api.links import verify
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.archive.dossiers import create_dossier
from sohoa.errors import NotFound
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import DocumentKind
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore


@dataclass
class World:
    client: TestClient
    people: dict[str, Person]
    doc_a: str  # citizen A's, digitized at AGENCY
    doc_b: str  # citizen B's
    dossier_a: str
    dossier_b: str
    word: str  # a word on doc A's page


def _scan(tmp: Path, name: str, seed: int) -> tuple[Path, str]:
    page = make_page(seed=seed, size="A5", lines=6)
    path = tmp / name
    page.image.save(path, dpi=(300, 300))
    return path, page.text


def _new(owner: str) -> NewDossier:
    return NewDossier(
        agency=AGENCY,
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=owner, name="Nguyễn Văn An"),
    )


def _form(owner: str) -> dict:
    """The dossier as a client sends it: the reception time is the server's."""
    return _new(owner).model_dump(mode="json", exclude={"received_at"})


def _world(tmp: Path, store: ObjectStore, index: SearchIndex, settings: Settings) -> World:
    """Papers of two citizens at AGENCY, put in place directly, not by the API: the trail starts empty."""
    people = make_people(store)
    dossier_a = create_dossier(store, index, _new(CITIZEN_A), by="setup").code
    dossier_b = create_dossier(store, index, _new(CITIZEN_B), by="setup").code
    ids = []
    for owner, dossier, seed in ((CITIZEN_A, dossier_a, 71), (CITIZEN_B, dossier_b, 72)):
        path, text = _scan(tmp, f"{owner}.png", seed)
        meta = IngestMeta(name=path.name, owner_id=owner, dossier_code=dossier, kind=DocumentKind.COMPONENT)
        ids.append(
            ingest_file(path, store=store, index=index, meta=meta, executor=InlineExecutor()).document.id
        )
        if owner == CITIZEN_A:
            word = max(re.findall(r"\w{4,}", text), key=len)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    client = TestClient(app, base_url="https://testserver")
    return World(client, people, ids[0], ids[1], dossier_a, dossier_b, word)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("access")
    settings = Settings(data_dir=tmp / "data", workers=1)
    w = _world(tmp, FilesystemStore(tmp / "store"), SqliteIndex(tmp / "index.sqlite3"), settings)
    with w.client:
        yield w


def _fill(path: str, w: World) -> str:
    values = {
        "doc_id": w.doc_a,
        "number": "1",
        "code": w.dossier_a,
        "owner_id": CITIZEN_A,
        "token": "x.y",
        "batch_id": "0" * 24,
        "group": "0",
        "job_id": "job-" + "0" * 16,
        "subscription_id": "sub-" + "0" * 16,
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _body(method: str, path: str, w: World) -> dict:
    if method not in ("POST", "PATCH"):
        return {}
    if path.endswith(("/documents", "/batches")):
        field = "file" if path.endswith("/documents") else "files"
        return {"files": {field: ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image/png")}}
    bodies = {
        "/api/v1/auth/login": {"username": "nobody", "password": "wrong-password"},
        "/api/v1/dossiers": _form(CITIZEN_A),
        "/api/v1/dossiers/{code}/reuse": {"doc_id": w.doc_a},
        "/api/v1/dossiers/{code}/status": {"status": "processing"},  # still open: A's papers stay readable
        "/api/v1/documents/{doc_id}/revoke": {"reason": "Cấp sai"},
        # refused past the gate (ends before it starts): doc A stays as it is for the other tests
        "/api/v1/documents/{doc_id}": {"valid_from": "2021-01-01", "valid_until": "2020-01-01"},
        "/api/v1/documents/{doc_id}/fields/confirm": {"values": {}},
        "/api/v1/documents/{doc_id}/sign": {"passphrase": "not-the-key's"},
        "/api/v1/batches/{batch_id}/groups/{group}/assign": {"dossier_code": "x"},
        "/api/v1/batches/{batch_id}/pages/{number}/fix": {"action": "blank"},
    }
    return {"json": bodies.get(path, {})}


ACTORS = [None, "staff", "officer", "citizen-a", "admin"]


def test_every_route_has_a_rule(world: World) -> None:
    schema = world.client.get("/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert routes == set(POLICY)


@pytest.mark.parametrize(("method", "path"), sorted(POLICY))
@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a or "anonymous")
def test_role_route_matrix(world: World, method: str, path: str, actor: str | None) -> None:
    """Each role gets past the gate exactly where the policy lets it; everyone else is stopped at it."""
    rule = POLICY[(method, path)]
    headers = world.people[actor].headers if actor else {}
    r = world.client.request(method, _fill(path, world), headers=headers, **_body(method, path, world))
    assert r.status_code < 500, r.text
    if rule.roles is None:
        assert r.status_code not in (401, 403) or path.endswith("/login"), r.text
    elif actor is None:
        assert r.status_code == 401, r.text
        assert r.headers["www-authenticate"].startswith("Bearer")
    elif world.people[actor].role in rule.roles:
        assert r.status_code not in (401, 403), r.text
    else:
        assert r.status_code == 403, r.text
        assert r.json()["type"].endswith("/forbidden")


def test_citizen_b_cannot_reach_citizen_a(world: World) -> None:
    c, b, a = world.client, world.people["citizen-b"].headers, world.people["citizen-a"].headers
    doc = world.doc_a
    for url in (
        f"/api/v1/documents/{doc}",
        f"/api/v1/documents/{doc}/pdf",
        f"/api/v1/documents/{doc}/download-link",
        f"/api/v1/pages/{doc}/1/image",
        f"/api/v1/pages/{doc}/1/words",
        f"/api/v1/dossiers/{world.dossier_a}",
    ):
        assert c.get(url, headers=a).status_code == 200, url
        r = c.get(url, headers=b)
        assert r.status_code == 404, url  # the same answer as for an id that does not exist
    assert c.get(f"/api/v1/owners/{CITIZEN_A}/documents", headers=b).status_code == 403
    assert c.get(f"/api/v1/owners/{CITIZEN_B}/documents", headers=b).status_code == 200
    for params in ({"q": world.word}, {"q": world.word, "owner_id": CITIZEN_A}):
        assert world.doc_a in {
            h["doc_id"] for h in c.get("/api/v1/search", params=params, headers=a).json()["hits"]
        }
        hits = c.get("/api/v1/search", params=params, headers=b).json()["hits"]
        assert {h["owner_id"] for h in hits} <= {CITIZEN_B}  # B's own paper may share the word; no more
    r = c.post(f"/api/v1/dossiers/{world.dossier_b}/reuse", json={"doc_id": doc}, headers=b)
    assert r.status_code == 404
    # A download link is for the one object it names; altered, it opens nothing.
    link = c.get(f"/api/v1/documents/{doc}/download-link", headers=a).json()["url"]
    assert c.get(link).content[:5] == b"%PDF-"
    body, _, mac = link.rsplit("/", 1)[1].partition(".")
    forged = f"/api/v1/files/{body[:-2]}AA.{mac}"
    assert c.get(forged).status_code == 404
    backends = c.app.state.backends
    with pytest.raises(NotFound):
        verify(backends.secret, link.rsplit("/", 1)[1], now=time.time() + 3600)


def test_officer_of_another_agency_sees_nothing(world: World) -> None:
    c, other = world.client, world.people["officer2"].headers
    assert c.get(f"/api/v1/documents/{world.doc_a}", headers=other).status_code == 404
    assert c.get(f"/api/v1/owners/{CITIZEN_A}/documents", headers=other).status_code == 403
    hits = c.get("/api/v1/search", params={"q": world.word}, headers=other).json()["hits"]
    assert hits == []
    r = c.post("/api/v1/dossiers", json=_form(CITIZEN_A), headers=other)
    assert r.status_code == 403


def test_tokens_expired_revoked_or_malformed_are_refused(world: World) -> None:
    c, store = world.client, world.client.app.state.backends.store

    token, credential = accounts.issue_token(store, "officer", lifetime=timedelta(hours=1))
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    accounts.revoke_token(store, credential.id)
    for bad in (token, token[:-3] + "abc", "sohoa_zz_zz", "", "Basic x"):
        r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad
    stored = "".join(store.get_bytes(k).decode() for k in store.list("credentials/"))
    assert token.rsplit("_", 1)[1] not in stored  # only hashes are kept


@pytest.fixture
def fresh_throttle(world: World) -> None:
    """The matrix test's failed logins count against the test client's address; start afresh."""
    world.client.app.state.backends.throttle = LoginThrottle(5)


@pytest.mark.usefixtures("fresh_throttle")
def test_web_session_needs_csrf_on_changes_and_ends_at_logout(world: World) -> None:
    store = world.client.app.state.backends.store
    accounts.set_password(store, "citizen-a", "mật khẩu dài đủ")
    c = TestClient(world.client.app, base_url="https://testserver")
    r = c.post("/api/v1/auth/login", json={"username": "citizen-a", "password": "mật khẩu dài đủ"})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=strict" in cookie.lower()
    csrf = r.json()["csrf_token"]
    assert c.get("/api/v1/me").json()["role"] == Role.CITIZEN
    reuse = {"doc_id": world.doc_a}
    r = c.post(f"/api/v1/dossiers/{world.dossier_a}/reuse", json=reuse)
    assert r.status_code == 403 and "CSRF" in r.json()["message_vi"]
    r = c.post(f"/api/v1/dossiers/{world.dossier_a}/reuse", json=reuse, headers={CSRF_HEADER: csrf})
    assert r.status_code in (201, 409), r.text  # past the gate (409 once A's paper was revoked by a test)
    assert c.post("/api/v1/auth/logout", headers={CSRF_HEADER: csrf}).status_code == 204
    assert c.get("/api/v1/me").status_code == 401


@pytest.mark.usefixtures("fresh_throttle")
def test_a_blank_revocation_reason_is_refused_not_a_server_error(world: World) -> None:
    # Found by the fuzzer: " / " passed the length check before stripping and failed in the record.
    officer = world.people["officer"].headers  # doc B: the role matrix revokes doc A
    for reason in (" / ", "      ", "\t\tx\n"):
        r = world.client.post(
            f"/api/v1/documents/{world.doc_b}/revoke", json={"reason": reason}, headers=officer
        )
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (
            r.text
        )
    assert world.client.get(f"/api/v1/documents/{world.doc_b}", headers=officer).json()["revocation"] is None


def test_admin_lists_users_a_page_at_a_time(world: World) -> None:
    admin = world.people["admin"].headers
    every = world.client.get("/api/v1/users", headers=admin).json()
    names = [u["username"] for u in every["users"]]
    assert every["total"] == len(world.people) and names == sorted(world.people)
    page = world.client.get("/api/v1/users?limit=2&offset=1", headers=admin).json()
    assert page["total"] == len(world.people) and [u["username"] for u in page["users"]] == names[1:3]
    assert "password_hash" not in page["users"][0]
    assert world.client.get("/api/v1/users?limit=0", headers=admin).status_code == 422


def test_login_is_throttled(world: World) -> None:
    c = TestClient(world.client.app, base_url="https://testserver")
    answers = [
        c.post("/api/v1/auth/login", json={"username": "staff", "password": "doan-sai-mat-khau"}).status_code
        for _ in range(7)
    ]
    assert answers[:5] == [401] * 5
    assert answers[5:] == [429, 429]


# --- the audit trail, on both backend pairs --------------------------------------------------------------


@pytest.fixture(params=["fs+sqlite", "minio+elasticsearch"])
def audited(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    if request.param == "fs+sqlite":
        store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    else:
        services = request.getfixturevalue("services")
        store, index = make_minio(services), make_elastic(services)
    w = _world(tmp_path, store, index, settings)
    with w.client:
        yield w
    if request.param != "fs+sqlite":
        index.drop()  # type: ignore[attr-defined]


def test_scripted_session_leaves_exactly_the_expected_trail(audited: World) -> None:
    w, c = audited, audited.client
    store = c.app.state.backends.store
    assert list(store.list("audit/")) == []
    accounts.set_password(store, "officer", "mật khẩu cán bộ")
    officer, citizen_b, admin = (w.people[n].headers for n in ("officer", "citizen-b", "admin"))

    assert (
        c.post("/api/v1/auth/login", json={"username": "officer", "password": "sai rồi"}).status_code == 401
    )
    session = TestClient(c.app, base_url="https://testserver")
    assert (
        session.post(
            "/api/v1/auth/login", json={"username": "officer", "password": "mật khẩu cán bộ"}
        ).status_code
        == 200
    )
    assert c.get(
        "/api/v1/search", params={"q": w.word, "doc_type": "giay-khai-sinh"}, headers=officer
    ).is_success
    assert c.get(f"/api/v1/documents/{w.doc_a}", headers=officer).is_success
    assert c.get(f"/api/v1/pages/{w.doc_a}/1/image", headers=officer).is_success
    assert c.get(f"/api/v1/documents/{w.doc_a}/pdf", headers=officer).is_success
    new = c.post("/api/v1/dossiers", json=_form(CITIZEN_A), headers=officer).json()
    assert c.post(
        f"/api/v1/dossiers/{new['code']}/reuse", json={"doc_id": w.doc_a}, headers=officer
    ).is_success
    assert c.get(f"/api/v1/documents/{w.doc_a}", headers=citizen_b).status_code == 404
    assert c.get("/api/v1/me", headers=officer).is_success  # not audited: no record is read

    trail = c.get("/api/v1/audit", params={"limit": 100}, headers=admin).json()
    got = [(e["actor"], e["role"], e["action"], e["record"], e["status"]) for e in reversed(trail["events"])]
    assert got == [
        ("officer", None, "login_failed", "officer", 401),
        ("officer", "officer", "login", "officer", 200),
        ("officer", "officer", "search", None, 200),
        ("officer", "officer", "view", w.doc_a, 200),
        ("officer", "officer", "view", w.doc_a, 200),
        ("officer", "officer", "download", w.doc_a, 200),
        ("officer", "officer", "create", new["code"], 201),
        ("officer", "officer", "reuse", new["code"], 201),
        ("citizen-b", "citizen", "view", w.doc_a, 404),
    ]
    search = trail["events"][-3]
    assert search["detail"] == {"q": w.word, "doc_type": "giay-khai-sinh"}
    assert trail["events"][1]["detail"] == {"document": w.doc_a}
    assert all(e["client"] for e in trail["events"])
    # Filters: by record and by user; stored write-once, one object per event (plus this audit read).
    by_doc = c.get("/api/v1/audit", params={"record": w.doc_a}, headers=admin).json()
    assert by_doc["total"] == 4
    by_user = c.get("/api/v1/audit", params={"user": "citizen-b"}, headers=admin).json()
    assert [e["status"] for e in by_user["events"]] == [404]
    assert len(list(store.list("audit/"))) == len(got) + 3


def test_every_web_page_has_a_rule() -> None:
    from sohoa.api.web import PAGE_MODULES

    pages = {
        (method, route.path)
        for module in PAGE_MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert pages == set(WEB_POLICY)


WEB_PAGES = {  # page: the roles that get it; others get a 403 page, anonymous people the login page
    "/search?q=ho+so": {"staff", "officer"},
    "/documents/{doc_id}": {"staff", "officer", "citizen-a"},
    "/dossiers/new": {"officer"},
    "/dossiers/{code}": {"staff", "officer", "citizen-a"},
    "/my": {"citizen-a"},
    "/scan": {"staff", "officer"},
    "/indicators": {"officer", "admin"},
}


@pytest.mark.parametrize("path", sorted(WEB_PAGES))
@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a or "anonymous")
def test_web_page_role_matrix(world: World, path: str, actor: str | None) -> None:
    headers = world.people[actor].headers if actor else {}
    r = world.client.get(_fill(path, world), headers=headers, follow_redirects=False)
    if actor is None:
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/")
    elif actor in WEB_PAGES[path]:
        assert r.status_code == 200, r.text[-500:]
        assert r.headers["content-type"].startswith("text/html")
        assert "no-store" in r.headers["cache-control"]
    else:
        assert r.status_code == 403, r.text[-500:]
        assert "<html" in r.text  # a page, not a problem document
