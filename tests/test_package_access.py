"""An imported dossier is workable by the agency that imported it (issue 24, liên thông): the commune (A)
receives the dossier, the district (B) imports A's package and decides. The records keep A as their agency
(provenance), and B's staff and officers read the dossier and each of its documents and find them by
search, on each backend pair, after a reindex too; an officer of a third agency (C) does not. The grant is
written once, and counts only once its dossier is stored (a crash between the two grants nothing); an
administrator names the agency; `sohoa import` without --agency is refused."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import test_package
from conftest import Pair
from people import AGENCY, add_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends, make_backends
from sohoa.api.settings import Settings
from sohoa.archive import load_document, reindex
from sohoa.archive import package_layout as layout
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from test_package import SOHOA, Origin

origin = test_package.origin  # A's dossier and its package: the fixture, shared

AGENCY_B = "000.00.20.H29"  # the district: imports the commune's dossier
AGENCY_C = "000.00.30.H29"  # another agency, with nothing to do with the dossier


def _people(store: ObjectStore) -> dict[str, dict[str, str]]:
    users = [
        User(username="staff-b", role=Role.STAFF, agency=AGENCY_B),
        User(username="officer-b", role=Role.OFFICER, agency=AGENCY_B),
        User(username="officer-c", role=Role.OFFICER, agency=AGENCY_C),
        User(username="admin", role=Role.ADMIN),
    ]
    return {name: person.headers for name, person in add_people(store, users).items()}


@dataclass
class District:
    """B's installation, in-process on one backend pair."""

    client: TestClient
    pair: Pair
    who: dict[str, dict[str, str]]

    def post(self, origin: Origin, user: str, query: str = "") -> dict:
        headers = {**self.who[user], "Content-Type": layout.MEDIA_TYPE}
        answer = self.client.post(
            f"/api/v1/packages{query}", content=origin.package.read_bytes(), headers=headers
        )
        return {"status": answer.status_code, **answer.json()}

    def keys(self) -> set[str]:
        return {k for k in self.pair.store.list("") if not k.startswith("audit/")}


@pytest.fixture
def district(origin: Origin, pair: Pair, tmp_path: Path) -> Iterator[District]:
    settings = Settings(
        data_dir=tmp_path / "b", workers=1, max_upload_bytes=origin.package.stat().st_size * 2
    )
    who = _people(pair.store)
    backends = Backends(settings, pair.store, pair.index, InlineExecutor(), trust_anchors=origin.anchors)
    with TestClient(create_app(settings, backends=backends), base_url="https://testserver") as client:
        yield District(client, pair, who)


def _word(store: ObjectStore, doc_id: str) -> str:
    """A word of the document's text to search it by."""
    text = load_document(store, doc_id).text
    return next(w for w in text.split() if len(w) >= 5 and w.isalpha())


def _documents(origin: Origin) -> tuple[str, str, str]:
    return origin.component, origin.reused, origin.result


def _reads(district: District, origin: Origin, user: str) -> dict[str, int]:
    """What `user` gets for the dossier, each document and its first page: path → status."""
    c, h = district.client, district.who[user]
    paths = [f"/api/v1/dossiers/{origin.code}"]
    for doc_id in _documents(origin):
        paths += [f"/api/v1/documents/{doc_id}", f"/api/v1/pages/{doc_id}/1/image"]
    return {p: c.get(p, headers=h).status_code for p in paths}


def _found(district: District, origin: Origin, user: str) -> set[str]:
    """Which of the dossier's documents `user` finds by a word of each."""
    found = set()
    for doc_id in _documents(origin):
        word = _word(district.pair.store, doc_id)
        answer = district.client.get(f"/api/v1/search?q={word}", headers=district.who[user])
        assert answer.status_code == 200, answer.text
        found |= {h["doc_id"] for h in answer.json()["hits"]} & {doc_id}
    return found


def test_the_importing_agency_reads_and_finds_the_dossier_and_a_third_does_not(
    origin: Origin, district: District
) -> None:
    everything = set(_documents(origin))
    assert set(_reads(district, origin, "officer-b").values()) == {404}  # before: nothing of A's is B's
    report = district.post(origin, "staff-b")
    assert report["status"] == 200 and report["agency"] == AGENCY_B and not report["already_imported"]
    for user in ("staff-b", "officer-b"):
        assert set(_reads(district, origin, user).values()) == {200}, (user, _reads(district, origin, user))
        links = district.client.get(f"/api/v1/dossiers/{origin.code}", headers=district.who[user]).json()
        assert {link["doc_id"] for link in links["links"]} == everything
        assert _found(district, origin, user) == everything, user
    # The records keep the agency that received and digitized them.
    dossier = district.client.get(f"/api/v1/dossiers/{origin.code}", headers=district.who["officer-b"]).json()
    assert dossier["agency"] == AGENCY
    assert set(_reads(district, origin, "officer-c").values()) == {404}
    assert _found(district, origin, "officer-c") == set()

    grant_key = keys.dossier_grant(origin.code, AGENCY_B)
    grant = json.loads(district.pair.store.get_bytes(grant_key))
    assert grant["agency"] == AGENCY_B and grant["granted_by"] == "staff-b"
    assert grant["package_sha256"] == report["package_sha256"]
    stored = district.keys()
    again = district.post(origin, "staff-b")
    assert again["status"] == 200 and again["already_imported"] is True and again["written"] == 0
    assert district.keys() == stored  # no second grant, nothing else either
    assert list(district.pair.store.list(keys.dossier_grants_prefix(origin.code))) == [grant_key]
    assert json.loads(district.pair.store.get_bytes(grant_key)) == grant


def test_the_grant_survives_a_reindex(origin: Origin, district: District) -> None:
    assert district.post(origin, "staff-b")["status"] == 200
    reindex(district.pair.store, district.pair.index)  # a new index, built from storage alone
    everything = set(_documents(origin))
    assert _found(district, origin, "officer-b") == everything
    assert _found(district, origin, "officer-c") == set()
    assert set(_reads(district, origin, "officer-b").values()) == {200}


def test_an_administrator_names_the_agency_and_staff_import_for_their_own(
    origin: Origin, district: District
) -> None:
    before = district.keys()
    unnamed = district.post(origin, "admin")
    assert unnamed["status"] == 422 and "importing agency" in unnamed["detail"], unnamed
    malformed = district.post(origin, "admin", "?agency=không/hợp/lệ")
    assert malformed["status"] == 422 and "agency code" in malformed["detail"], malformed
    foreign = district.post(origin, "staff-b", f"?agency={AGENCY_C}")
    assert foreign["status"] == 403 and "own agency" in foreign["detail"], foreign
    assert district.keys() == before  # each refused before anything is stored
    named = district.post(origin, "admin", f"?agency={AGENCY_C}")
    assert named["status"] == 200 and named["agency"] == AGENCY_C
    assert set(_reads(district, origin, "officer-c").values()) == {200}
    assert set(_reads(district, origin, "officer-b").values()) == {404}


# -- the CLI, on the embedded backends ---------------------------------------------------------------------


def _sohoa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOHOA, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_cli_import_needs_the_agency_and_its_grant_survives_sohoa_reindex(
    origin: Origin, tmp_path: Path
) -> None:
    data = tmp_path / "b"
    env = {**origin.env, "SOHOA_DATA_DIR": str(data)}
    refused = _sohoa(env, "import", str(origin.package))
    assert refused.returncode == 2, refused.stderr
    assert "--agency" in refused.stderr and "importing agency" in refused.stderr
    assert not [k for k in FilesystemStore(data / "store").list("") if not k.startswith("audit/")]
    bad = _sohoa(env, "import", str(origin.package), "--agency", "không hợp lệ")
    assert bad.returncode == 2 and "agency code" in bad.stderr, bad.stderr

    done = _sohoa(env, "import", str(origin.package), "--agency", AGENCY_B)
    assert done.returncode == 0 and f"imported dossier {origin.code}" in done.stdout, done.stderr
    rebuilt = _sohoa(env, "reindex")
    assert rebuilt.returncode == 0, rebuilt.stderr

    settings = Settings(data_dir=data, workers=1)
    backends = make_backends(settings)
    try:
        who = _people(backends.store)
        with TestClient(create_app(settings, backends=backends), base_url="https://testserver") as client:
            district = District(client, Pair(backends.store, backends.index), who)
            assert _found(district, origin, "officer-b") == set(_documents(origin))
            assert set(_reads(district, origin, "staff-b").values()) == {200}
            assert set(_reads(district, origin, "officer-c").values()) == {404}
    finally:
        backends.close()


def test_an_import_cut_off_after_the_grant_grants_nothing_until_it_is_completed(
    origin: Origin, tmp_path: Path
) -> None:
    from sohoa.archive.grants import granted_agencies
    from sohoa.archive.package_import import import_package
    from sohoa.search.sqlite import SqliteIndex
    from test_package import CrashAfter

    def run(store: object, index: SqliteIndex) -> object:
        return import_package(
            store,  # type: ignore[arg-type]
            index,
            origin.package,
            anchors=origin.anchors,
            by="staff-b",
            agency=AGENCY_B,
            max_bytes=10**9,
        )

    counted = CrashAfter(FilesystemStore(tmp_path / "clean"), 10**6)
    run(counted, SqliteIndex(tmp_path / "clean.sqlite3"))
    writes = 10**6 - counted.left  # the dossier record and the import record are the last two
    store, index = FilesystemStore(tmp_path / "b"), SqliteIndex(tmp_path / "b.sqlite3")
    with pytest.raises(SystemExit):
        run(CrashAfter(store, writes - 2), index)
    assert store.exists(keys.dossier_grant(origin.code, AGENCY_B))
    assert not store.exists(keys.dossier_manifest(origin.code))
    component = load_document(store, origin.component)
    assert granted_agencies(store, component) == frozenset()  # the grant waits for its dossier
    run(store, index)
    assert granted_agencies(store, component) == {AGENCY_B}
