"""Access to an applicant's papers through a dossier (issue 20, Access), on both backend pairs: the
reception time is the server's, the access lasts while the dossier is open and a set time after it closes,
a read through a dossier is on the trail with that dossier and shown to the citizen, a dossier shows only
the papers its viewer may read, an upload naming another agency's dossier answers as for an unknown code,
and one officer receiving dossiers for many different people within an hour is flagged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import make_elastic, make_minio
from people import AGENCY, CITIZEN_A, CITIZEN_B, OTHER_AGENCY, Person, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import load_document
from sohoa.archive.documents import dossier_record
from sohoa.archive.dossiers import create_dossier, link_scanned, load_dossier
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.dossiers import Applicant, DossierStatus, NewDossier
from sohoa.records.models import utcnow
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.search.records import RecordIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import write_manifest

TITLE_A = "Giấy khai sinh của người khác QZXW"


@pytest.fixture(params=["fs+sqlite", "minio+elasticsearch"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ObjectStore, SearchIndex]]:
    if request.param == "fs+sqlite":
        index: SearchIndex = SqliteIndex(tmp_path / "index.sqlite3")
        yield FilesystemStore(tmp_path / "store"), index
    else:
        services = request.getfixturevalue("services")
        index = make_elastic(services)
        yield make_minio(services), index
        index.drop()  # type: ignore[attr-defined]
    index.close()


@dataclass
class World:
    client: TestClient
    people: dict[str, Person]
    store: ObjectStore
    index: SearchIndex
    tmp: Path

    def h(self, name: str) -> dict[str, str]:
        return self.people[name].headers


def _world(pair: tuple[ObjectStore, SearchIndex], tmp: Path, **settings: object) -> Iterator[World]:
    store, index = pair
    config = Settings(data_dir=tmp / "data", workers=1, **settings)  # type: ignore[arg-type]
    people = make_people(store)
    app = create_app(config, backends=Backends(config, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        yield World(client, people, store, index, tmp)


@pytest.fixture
def world(pair: tuple[ObjectStore, SearchIndex], tmp_path: Path) -> Iterator[World]:
    yield from _world(pair, tmp_path)


@pytest.fixture
def world_no_grace(pair: tuple[ObjectStore, SearchIndex], tmp_path: Path) -> Iterator[World]:
    yield from _world(pair, tmp_path, dossier_access_days=0)


@pytest.fixture
def world_watchful(pair: tuple[ObjectStore, SearchIndex], tmp_path: Path) -> Iterator[World]:
    yield from _world(pair, tmp_path, flag_applicants_per_hour=3)


def _scan(w: World, name: str, seed: int) -> Path:
    page = make_page(seed=seed, size="A5", lines=4)
    path = w.tmp / name
    page.image.save(path, dpi=(300, 300))
    return path


def _paper_at_other_agency(w: World, owner: str = CITIZEN_A) -> str:
    """Citizen A's paper, digitized by the other agency (put in place directly, not by the API)."""
    meta = IngestMeta(name="a.png", owner_id=owner, agency=OTHER_AGENCY, title=TITLE_A)
    path = _scan(w, "a.png", 81)
    return ingest_file(path, store=w.store, index=w.index, meta=meta, executor=InlineExecutor()).document.id


def _form(owner: str, agency: str = AGENCY) -> dict[str, object]:
    return {
        "agency": agency,
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký thường trú",
        "applicant": {"id_number": owner, "name": "Nguyễn Văn An"},
    }


def _receive(w: World, owner: str) -> str:
    r = w.client.post("/api/v1/dossiers", json=_form(owner), headers=w.h("officer"))
    assert r.status_code == 201, r.text
    return r.json()["code"]


def _audit(w: World, **params: str) -> dict:
    r = w.client.get("/api/v1/audit", params=params, headers=w.h("admin"))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_reception_time_from_the_client_is_refused_and_opens_nothing(world: World) -> None:
    doc = _paper_at_other_agency(world)
    back_dated = _form(CITIZEN_A) | {"received_at": "2001-01-01T08:00:00+07:00"}
    r = world.client.post("/api/v1/dossiers", json=back_dated, headers=world.h("officer"))
    assert r.status_code == 422, r.text
    assert "reception time" in r.text and "received_at" in r.text
    assert world.client.get(f"/api/v1/documents/{doc}", headers=world.h("officer")).status_code == 404
    r = world.client.post("/api/v1/dossiers", json=_form(CITIZEN_A), headers=world.h("officer"))
    assert r.status_code == 201, r.text
    dossier = load_dossier(world.store, r.json()["code"])
    assert abs(dossier.received_at - utcnow()) < timedelta(minutes=1)  # the server's clock


def test_a_read_through_a_dossier_is_audited_with_it_and_shown_to_the_citizen(world: World) -> None:
    doc = _paper_at_other_agency(world)
    officer, citizen = world.h("officer"), world.h("citizen-a")
    assert world.client.get(f"/api/v1/documents/{doc}", headers=officer).status_code == 404
    code = _receive(world, CITIZEN_A)
    assert world.client.get(f"/api/v1/documents/{doc}", headers=officer).status_code == 200
    assert world.client.get(f"/api/v1/documents/{doc}", headers=citizen).status_code == 200  # their own
    read = [e for e in _audit(world, record=doc)["events"] if e["status"] == 200 and e["actor"] == "officer"]
    assert len(read) == 1
    assert read[0]["detail"]["via_dossier"] == code and read[0]["owner"] == CITIZEN_A

    reads = world.client.get("/api/v1/me/reads", headers=citizen).json()["reads"]
    assert [(r["reader"], r["doc_id"], r["via_dossier"], r["agency"]) for r in reads] == [
        ("officer", doc, code, AGENCY)
    ]  # not the refused look before the dossier, nor the citizen's own
    assert world.client.get("/api/v1/me/reads", headers=world.h("citizen-b")).json()["reads"] == []
    html = world.client.get("/my", headers=citizen).text
    section = html[html.index("data-reads") :]
    assert "officer" in section and code in section and f'href="/documents/{doc}"' in section
    # The paper is named in the list as on its card above, not by its id.
    card_title = re.search(rf'<a href="/documents/{doc}">([^<]+)</a>', html)
    assert card_title is not None and card_title.group(1) != doc
    assert f'<a href="/documents/{doc}">{card_title.group(1)}</a>' in section


def test_access_ends_when_the_dossier_closes_and_the_window_has_passed(world_no_grace: World) -> None:
    w = world_no_grace
    doc = _paper_at_other_agency(w)
    code = _receive(w, CITIZEN_A)
    officer = w.h("officer")
    r = w.client.post(f"/api/v1/dossiers/{code}/status", json={"status": "processing"}, headers=officer)
    assert r.status_code == 200 and r.json()["closed_at"] is None, r.text
    assert w.client.get(f"/api/v1/documents/{doc}", headers=officer).status_code == 200  # still open
    r = w.client.post(f"/api/v1/dossiers/{code}/status", json={"status": "done"}, headers=officer)
    assert r.status_code == 200 and r.json()["closed_at"] is not None, r.text
    assert w.client.get(f"/api/v1/documents/{doc}", headers=officer).status_code == 404  # 0 days after
    assert w.client.get(f"/api/v1/owners/{CITIZEN_A}/documents", headers=officer).status_code == 403
    # Closed stays closed; only the agency's officers move it on.
    r = w.client.post(f"/api/v1/dossiers/{code}/status", json={"status": "processing"}, headers=officer)
    assert r.status_code == 409, r.text
    other = w.h("officer2")
    r = w.client.post(f"/api/v1/dossiers/{code}/status", json={"status": "done"}, headers=other)
    assert r.status_code == 404, r.text


def test_a_dossier_closed_longer_ago_than_the_window_gives_no_access(world: World) -> None:
    """The default window (30 days): closed 40 days ago opens nothing, closed 5 days ago does."""
    doc = _paper_at_other_agency(world)
    officer = world.h("officer")
    for days_ago, expected in ((40, 404), (5, 200)):
        received = utcnow() - timedelta(days=days_ago + 10)
        new = NewDossier(
            agency=AGENCY,
            procedure_code="1.001193",
            procedure_name="Đăng ký thường trú",
            applicant=Applicant(id_number=CITIZEN_A, name="Nguyễn Văn An"),
            received_at=received,
        )
        dossier = create_dossier(world.store, world.index, new, by="setup")
        closed = dossier.model_copy(
            update={"status": DossierStatus.DONE, "closed_at": utcnow() - timedelta(days=days_ago)}
        )
        write_manifest(world.store, keys.dossier_manifest(dossier.code), closed)
        assert isinstance(world.index, RecordIndex)
        world.index.index_dossiers([dossier_record(closed)])
        assert world.client.get(f"/api/v1/documents/{doc}", headers=officer).status_code == expected


def test_a_paper_linked_into_someone_elses_dossier_is_not_shown(world: World) -> None:
    doc_a = _paper_at_other_agency(world)
    meta = IngestMeta(name="b.png", owner_id=CITIZEN_B, agency=AGENCY, title="Giấy của B")
    doc_b = ingest_file(
        _scan(world, "b.png", 82), store=world.store, index=world.index, meta=meta, executor=InlineExecutor()
    ).document.id
    code = _receive(world, CITIZEN_B)
    link_scanned(world.store, code, doc_a, by="mistake")  # A's paper, linked by mistake into B's dossier
    link_scanned(world.store, code, doc_b, by="staff")
    for who in ("officer", "citizen-b"):
        r = world.client.get(f"/api/v1/dossiers/{code}", headers=world.h(who))
        assert r.status_code == 200, r.text
        assert [link["doc_id"] for link in r.json()["links"]] == [doc_b], who
        html = world.client.get(f"/dossiers/{code}", headers=world.h(who)).text
        assert doc_b in html, who
        assert doc_a not in html and TITLE_A not in html, who


def test_an_upload_naming_another_agencys_dossier_answers_as_for_an_unknown_code(world: World) -> None:
    new = NewDossier(
        agency=OTHER_AGENCY,
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=CITIZEN_B, name="Trần Thị Bình"),
    )
    foreign = create_dossier(world.store, world.index, new, by="setup").code
    unknown = re.sub(r"\d{4}$", "0999", foreign)
    own = _receive(world, CITIZEN_B)
    answers = {}
    for seed, code in ((91, foreign), (92, unknown), (93, own)):
        path = _scan(world, f"u{seed}.png", seed)
        r = world.client.post(
            "/api/v1/documents",
            files={"file": (path.name, path.read_bytes(), "image/png")},
            data={"dossier_code": code, "owner_id": CITIZEN_A},
            headers=world.h("staff"),
        )
        answers[code] = r
    first, second = answers[foreign], answers[unknown]
    assert first.status_code == second.status_code == 201, (first.text, second.text)
    for r, code in ((first, foreign), (second, unknown)):
        body = r.json()
        assert body["agency"] == AGENCY and body["owner_id"] == CITIZEN_A
        assert body["dossier"] == {"code": code, "owner_id": CITIZEN_A, "procedure_code": None}
    assert load_dossier(world.store, foreign).links == []  # never linked into another agency's dossier
    mine = answers[own]
    assert mine.status_code == 201, mine.text
    assert [link.doc_id for link in load_dossier(world.store, own).links] == [mine.json()["id"]]


def test_one_officer_receiving_dossiers_for_many_people_within_an_hour_is_flagged(
    world_watchful: World,
) -> None:
    w = world_watchful
    people = ["001089012301", "001089012302", "001089012303"]
    for owner in [*people, people[0]]:  # three different people (the limit), one of them twice
        _receive(w, owner)
    assert _audit(w, action="flag")["total"] == 0
    _receive(w, "001089012304")  # the fourth different person within the hour
    flags = _audit(w, action="flag")
    assert flags["total"] == 1
    event = flags["events"][0]
    assert event["actor"] == "officer" and event["detail"]["applicants"] == "4"
    assert event["detail"]["limit"] == "3" and event["detail"]["reason"] == "many_applicants"
    assert {e["action"] for e in flags["events"]} == {"flag"}
    # ... and counted with the agency's indicators, for the officers and admins who watch them.
    metrics = w.client.get("/api/v1/metrics/digitization", headers=w.h("officer"))
    assert metrics.status_code == 200 and metrics.json()["flags"] == 1


def test_a_batch_cover_sheet_naming_another_agencys_dossier_links_nothing_there(tmp_path: Path) -> None:
    from sohoa.ingest.batches import run_batch
    from sohoa.records.batches import CoverSheet
    from sohoa.samples.scangen import write_pdf
    from sohoa.samples.stacks import cover_scan

    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    theirs = create_dossier(
        store,
        index,
        NewDossier(
            agency=OTHER_AGENCY,
            procedure_code="1.001193",
            procedure_name="Đăng ký thường trú",
            applicant=Applicant(id_number=CITIZEN_B, name="Trần Thị Bình"),
        ),
        by="setup",
    )
    cover = CoverSheet(dossier_code=theirs.code, procedure_code="1.001193", owner_id=CITIZEN_A)
    stack = tmp_path / "stack.pdf"
    write_pdf([cover_scan(cover), make_page(seed=91, size="A5", lines=3).image], stack)
    batch = run_batch([stack], store=store, index=index, agency=AGENCY, executor=InlineExecutor())
    (group,) = batch.groups
    assert group.doc_id is not None
    assert load_dossier(store, theirs.code).links == []  # nothing joined another agency's dossier
    document = load_document(store, group.doc_id)
    assert document.dossier is not None and document.dossier.code == theirs.code  # the code, as given
    assert document.owner_id == CITIZEN_A and document.agency == AGENCY
