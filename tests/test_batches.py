"""Scan stations: a stack of dossiers through the hot folder (cover sheets, blank backs, a turned page, a
missing page, a stray page before the first cover), a batch killed with SIGKILL half-way and finished
exactly once, and `sohoa scan` against SANE's test device. Real processes, real files, real Tesseract."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sohoa.archive import load_document
from sohoa.ingest.batches import PageResult
from sohoa.records.batches import Batch, BatchStatus, CoverSheet, PageKind
from sohoa.samples.scangen import Degradation, make_page, write_pdf
from sohoa.samples.stacks import blank, build_stack, long_stack
from sohoa.storage import keys
from sohoa.storage.filesystem import FilesystemStore

SOHOA = str(Path(sys.executable).parent / "sohoa")
AGENCY = "000.00.11.H29"
OTHER_AGENCY = "000.00.12.H29"


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "2", "COLUMNS": "200"}


def _store(data: Path) -> FilesystemStore:
    return FilesystemStore(data / "store")


def _batches(store: FilesystemStore) -> list[Batch]:
    found = [k for k in store.list(keys.BATCHES_PREFIX) if k.endswith("/batch.json")]
    return [Batch.model_validate_json(store.get_bytes(k)) for k in found]


def _cover(n: int, expected: int) -> CoverSheet:
    return CoverSheet(
        dossier_code=f"{AGENCY}-261123-{n:04d}",
        procedure_code="1.001193",
        owner_id=f"00108901234{n}",
        expected_pages=expected,
    )


def test_a_stack_of_three_dossiers_through_the_hot_folder(
    tmp_path: Path, reader: Callable[[Path], dict[str, str]]
) -> None:
    page = lambda seed, **kw: make_page(seed=seed, size="A5", lines=4, **kw)  # noqa: E731
    a, b, c, e, f = (page(s) for s in (61, 62, 63, 65, 66))
    d = page(64, degradation=Degradation(turn=180))
    stray = page(60)
    images, truth = build_stack(
        [
            (
                _cover(1, 2),
                [a, blank(1, bleed_from=a.image), b, blank(2, bleed_from=b.image)],
            ),  # duplex backs
            (_cover(2, 2), [c, d]),  # the second sheet fed upside down
            (_cover(3, 3), [e, f]),  # one page missing
        ]
    )
    images.insert(0, stray.image)  # a page someone left on top of the first cover sheet
    shift = lambda ns: [n + 1 for n in ns]  # noqa: E731
    folder = tmp_path / "hot"
    folder.mkdir()
    stack = tmp_path / "stack.pdf"
    write_pdf(images, stack)
    (folder / "notes.txt").write_text("không phải bản quét")
    (folder / "broken.pdf").write_bytes(stack.read_bytes()[:5000])  # the scanner's software crashed
    # The stack arrives the way a network share fills: half now, the rest a moment later.
    data = stack.read_bytes()
    target = folder / "stack.pdf"
    target.write_bytes(data[: len(data) // 2])
    watcher = subprocess.Popen(
        [SOHOA, "watch", str(folder), "--settle", "2", "--once", "--agency", AGENCY],
        env=reader(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.8)
    with target.open("ab") as out:
        out.write(data[len(data) // 2 :])
    stdout, stderr = watcher.communicate(timeout=600)
    assert watcher.returncode == 0, stderr[-2000:]

    assert sorted(p.name for p in (folder / "done").iterdir()) == ["stack.pdf"]
    assert sorted(p.name for p in (folder / "failed").iterdir()) == [
        "broken.pdf",
        "broken.pdf.reason.txt",
        "notes.txt",
        "notes.txt.reason.txt",
    ]
    assert "damaged" in (folder / "failed" / "broken.pdf.reason.txt").read_text()
    store = _store(tmp_path / "data")
    [batch] = _batches(store)  # the half-written file was never taken as a stack of its own
    assert batch.status is BatchStatus.DONE and batch.pages_done == batch.total_pages == len(images)

    unassigned, *dossiers = batch.groups
    assert unassigned.unassigned and unassigned.pages == [1]
    assert [g.cover_page for g in dossiers] == shift(truth.covers)
    assert [g.pages for g in dossiers] == [shift(ns) for ns in truth.groups]
    assert [g.blank_pages for g in dossiers] == [shift(truth.blanks), [], []]
    assert [g.page_count_mismatch for g in dossiers] == [False, False, True]
    reasons = {(r.group, r.reason) for r in batch.review if r.group is not None}
    assert reasons == {(0, "unassigned"), (3, "page_count_mismatch")}

    turned_page = truth.groups[1][1] + 1
    turned = PageResult.model_validate_json(store.get_bytes(keys.batch_page_result(batch.id, turned_page)))
    assert turned.page.kind is PageKind.CONTENT and turned.page.rotation == 180
    for group, cover in zip(dossiers, ("0001", "0002", "0003"), strict=True):
        document = load_document(store, group.doc_id or "")
        assert document.dossier is not None and document.dossier.code.endswith(cover)
        assert document.page_count == len(group.pages)  # blank backs and cover sheets are not pages of it
        assert document.agency == AGENCY
    assert "0003" in stdout and "≠" in stdout  # the mismatch is shown to the person at the scanner


def _results(store: FilesystemStore, batch_id: str) -> list[PageResult]:
    found = [k for k in store.list(keys.batch_pages_prefix(batch_id)) if k.endswith(".json")]
    return [PageResult.model_validate_json(store.get_bytes(k)) for k in found]


def test_a_batch_killed_half_way_finishes_with_every_page_processed_once(tmp_path: Path) -> None:
    # With Celery workers, the same kill is tests/test_jobs.py's (a server killed mid-batch), and a worker
    # killed mid-page is tests/test_celery.py's.
    images, truth = long_stack(32, seed=7)
    stack = tmp_path / "stack.pdf"
    write_pdf(images, stack)
    data, store = tmp_path / "data", _store(tmp_path / "data")
    command = [SOHOA, "batch", str(stack), "--agency", AGENCY]
    first = subprocess.Popen(command, env=_env(data), start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    done_before: list[PageResult] = []
    while time.monotonic() < deadline:
        batches = _batches(store)
        if batches and len(done_before := _results(store, batches[0].id)) >= 10:
            break
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the worker processes too, as a power cut would
    first.wait()
    [batch] = _batches(store)
    done_before = _results(store, batch.id)
    assert 10 <= len(done_before) < len(images), "the kill must land mid-batch"
    assert batch.status is BatchStatus.RUNNING

    second = subprocess.run(command, env=_env(data), capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    [batch] = _batches(store)
    results = _results(store, batch.id)
    assert sorted(r.page.number for r in results) == list(range(1, len(images) + 1))  # none lost, none twice
    first_run = {r.page.number: r.page.run for r in done_before}
    assert all(r.page.run == first_run[r.page.number] for r in results if r.page.number in first_run)
    second_runs = {r.page.run for r in results if r.page.number not in first_run}
    assert len(second_runs) == 1 and not second_runs & set(first_run.values())
    assert batch.status is BatchStatus.DONE
    assert [g.pages for g in batch.groups] == truth.groups
    assert sorted(n for g in batch.groups for n in g.blank_pages) == truth.blanks
    documents = [k for k in store.list("by-sha256/")]
    assert len(documents) == len(truth.groups) == batch.documents  # each dossier stored once

    again = subprocess.run(command, env=_env(data), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and len(list(store.list("by-sha256/"))) == len(truth.groups)


def test_scan_from_the_sane_test_device(tmp_path: Path) -> None:
    scanned = subprocess.run(
        [SOHOA, "scan", "--device", "test", "--source", "Automatic Document Feeder", "--mode", "Gray",
         "--dpi", "75", "--count", "3", "--agency", AGENCY],
        env=_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert scanned.returncode == 0, scanned.stderr[-2000:]
    [batch] = _batches(_store(tmp_path / "data"))
    assert batch.status is BatchStatus.DONE and batch.total_pages == 3 == batch.pages_done
    assert len(batch.sources) == 3  # each page file as the scanner wrote it, kept


def test_scan_reports_a_missing_device(tmp_path: Path) -> None:
    r = subprocess.run(
        [SOHOA, "scan", "--device", "no-such-scanner:0"],
        env=_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "scanner error" in r.stderr
    assert not _batches(_store(tmp_path / "data"))


@pytest.mark.parametrize("expected", [None, 4])
def test_cover_sheet_payload_round_trip(expected: int | None) -> None:
    from sohoa.scanners.coversheet import parse_payload, payload

    cover = CoverSheet(dossier_code="X-1", procedure_code="1.0", owner_id=None, expected_pages=expected)
    assert parse_payload(payload(cover)) == cover
    assert parse_payload("https://dichvucong.gov.vn/x") is None  # a paper's own QR code is not a cover


def test_batch_progress_over_the_api_and_its_event_stream(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from people import make_people
    from sohoa.api.app import create_app
    from sohoa.api.backends import Backends
    from sohoa.api.settings import Settings
    from sohoa.archive.dossiers import create_dossier
    from sohoa.ingest.batches import run_batch
    from sohoa.ingest.executor import InlineExecutor
    from sohoa.records.dossiers import Applicant, NewDossier
    from sohoa.search.sqlite import SqliteIndex

    store, index = _store(tmp_path / "data"), SqliteIndex(tmp_path / "index.sqlite3")
    people = make_people(store)
    images, _ = build_stack([(_cover(1, 1), [make_page(seed=67, size="A5", lines=3)])])
    images.insert(0, make_page(seed=68, size="A5", lines=3).image)  # scanned before the cover sheet
    stack = tmp_path / "stack.pdf"
    write_pdf(images, stack)
    seen: list[int] = []
    batch = run_batch(
        [stack], store=store, index=index, agency=AGENCY, executor=InlineExecutor(),
        progress=lambda p: seen.append(p.pages_done),
    )  # fmt: skip
    assert seen == [1, 2, 3] and batch.documents == 2 and batch.groups[0].unassigned
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as c:
        staff, other, citizen = (people[n].headers for n in ("staff", "officer2", "citizen-a"))
        got = c.get(f"/api/v1/batches/{batch.id}", headers=staff).json()
        assert got["status"] == "done" and got["pages_done"] == got["total_pages"] == 3
        with c.stream("GET", f"/api/v1/batches/{batch.id}/events", headers=staff) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            body = "".join(stream.iter_text())
        assert body.startswith("event: progress\ndata: {") and '"status":"done"' in body
        assert c.get(f"/api/v1/batches/{batch.id}", headers=other).status_code == 404  # another agency's
        assert c.get(f"/api/v1/batches/{batch.id}", headers=citizen).status_code == 403
        assert c.get(f"/api/v1/batches/{'0' * 24}/events", headers=staff).status_code == 404

        # The page that came without a cover sheet, given to a dossier by staff.
        dossier = create_dossier(
            store,
            index,
            NewDossier(
                agency=AGENCY,
                procedure_code="1.001193",
                procedure_name="Đăng ký thường trú",
                applicant=Applicant(id_number="001089012345", name="Nguyễn Văn An"),
            ),
            by="officer",
        )
        url = f"/api/v1/batches/{batch.id}/groups"
        assert (
            c.post(f"{url}/1/assign", json={"dossier_code": dossier.code}, headers=staff).status_code == 409
        )
        assert (
            c.post(f"{url}/7/assign", json={"dossier_code": dossier.code}, headers=staff).status_code == 404
        )
        assert c.post(f"{url}/0/assign", json={"dossier_code": "nope"}, headers=staff).status_code == 404
        # Another agency's dossier answers exactly as a code that does not exist (issue 20).
        foreign = create_dossier(
            store,
            index,
            NewDossier(
                agency=OTHER_AGENCY,
                procedure_code="1.001193",
                procedure_name="Đăng ký thường trú",
                applicant=Applicant(id_number="001089012345", name="Nguyễn Văn An"),
            ),
            by="officer2",
        ).code
        unknown = foreign[:-4] + "0999"
        answers = [
            c.post(f"{url}/0/assign", json={"dossier_code": code}, headers=staff)
            for code in (foreign, unknown)
        ]
        assert [r.status_code for r in answers] == [404, 404]
        assert answers[0].json()["detail"].replace(foreign, "?") == answers[1].json()["detail"].replace(
            unknown, "?"
        )
        done = c.post(f"{url}/0/assign", json={"dossier_code": dossier.code}, headers=staff)
        assert done.status_code == 200, done.text
        assert done.json()["groups"][0]["assigned_to"] == dossier.code
        assert not [r for r in done.json()["review"] if r["reason"] == "unassigned"]
        document = load_document(store, batch.groups[0].doc_id or "")
        assert document.dossier is not None and document.dossier.code == dossier.code
        assert document.owner_id == "001089012345"
        links = c.get(f"/api/v1/dossiers/{dossier.code}", headers=people["officer"].headers).json()["links"]
        assert [link["doc_id"] for link in links] == [document.id]
        assert (
            c.post(f"{url}/0/assign", json={"dossier_code": dossier.code}, headers=staff).status_code == 409
        )


def test_pages_are_read_as_they_arrive_and_an_interrupted_scan_goes_on(tmp_path: Path) -> None:
    """What `sohoa scan` does with a scanner: each page file is read before the next one arrives; when the
    feed stops half-way (a paper jam), the batch goes on later under its id, every page read once."""
    from sohoa.errors import BadInput
    from sohoa.ingest.batches import run_batch
    from sohoa.ingest.executor import InlineExecutor
    from sohoa.search.sqlite import SqliteIndex

    store, index = _store(tmp_path / "data"), SqliteIndex(tmp_path / "index.sqlite3")
    images, truth = build_stack(
        [(_cover(1, 2), [make_page(seed=71, size="A5", lines=3), make_page(seed=72, size="A5", lines=3)])]
    )
    files = []
    for n, image in enumerate(images, 1):
        files.append(tmp_path / f"page-{n:04d}.png")
        image.save(files[-1], dpi=(300, 300))
    batch_id = "scan-test-0001"
    result_key = lambda n: keys.batch_page_result(batch_id, n)  # noqa: E731

    def feeder(first: int, last: int, jam: bool):
        for n in range(first, last + 1):
            if n > first:  # the page before was read before this one was handed over
                assert store.exists(result_key(n - 1))
            yield files[n - 1]
        if jam:
            raise BadInput("Kẹt giấy", "paper jam")

    run = lambda feed: run_batch(  # noqa: E731
        feed, store=store, index=index, batch_id=batch_id, agency=AGENCY, executor=InlineExecutor()
    )
    with pytest.raises(BadInput):
        run(feeder(1, 2, jam=True))
    kept = _batches(store)
    assert [b.status for b in kept] == [BatchStatus.RUNNING] and kept[0].total_pages == 2
    assert len(kept[0].sources) == 2 and not list(store.list("by-sha256/"))

    batch = run(feeder(3, len(files), jam=False))
    assert batch.status is BatchStatus.DONE and batch.total_pages == batch.pages_done == len(files)
    read = [PageResult.model_validate_json(store.get_bytes(result_key(n + 1))) for n in range(len(files))]
    runs = [r.page.run for r in read]
    assert runs[0] == runs[1] != runs[2] == runs[-1]  # the first two pages were not read again
    assert batch.documents == 1 and not batch.groups[0].page_count_mismatch
    assert len(list(store.list("by-sha256/"))) == 1 == len(truth.groups)


def test_scan_refuses_to_resume_a_batch_that_does_not_exist(tmp_path: Path) -> None:
    r = subprocess.run(
        [SOHOA, "scan", "--device", "test", "--count", "1", "--resume", "scan-nothing"],
        env=_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and "batch scan-nothing not found" in r.stderr
    assert not _batches(_store(tmp_path / "data"))


def test_staff_fix_pages_at_review_and_only_the_documents_touched_change(tmp_path: Path) -> None:
    from sohoa.errors import BadInput, Conflict, NotFound
    from sohoa.ingest.batches import fix_page, load_batch, run_batch
    from sohoa.ingest.context import IngestContext
    from sohoa.ingest.executor import InlineExecutor
    from sohoa.records.batches import FixAction, PageFix
    from sohoa.search.sqlite import SqliteIndex

    store, index = _store(tmp_path / "data"), SqliteIndex(tmp_path / "index.sqlite3")
    a, c = make_page(seed=81, size="A5", lines=3), make_page(seed=83, size="A5", lines=3)
    images, _ = build_stack([(_cover(1, 2), [a, blank(1, bleed_from=a.image)]), (_cover(2, 1), [c])])
    stack = tmp_path / "stack.pdf"
    write_pdf(images, stack)
    batch = run_batch([stack], store=store, index=index, agency=AGENCY, executor=InlineExecutor())
    first, second = batch.groups
    assert first.pages == [2] and first.blank_pages == [3] and first.page_count_mismatch
    fix = lambda **kw: fix_page(IngestContext(store, index), batch.id, PageFix(by="staff", **kw))  # noqa: E731

    # The "blank back" was a page after all: the dossier's document is made again with it.
    batch = fix(page=3, action=FixAction.NOT_BLANK)
    assert batch.groups[0].pages == [2, 3] and not batch.groups[0].page_count_mismatch
    assert not [r for r in batch.review if r.reason == "page_count_mismatch"]
    replaced = load_document(store, first.doc_id)
    assert replaced.revocation is not None and batch.groups[0].doc_id in replaced.revocation.reason
    assert batch.groups[1].doc_id == second.doc_id  # the other dossier is untouched
    assert load_document(store, batch.groups[0].doc_id).page_count == 2

    # Turned by hand: the same master, the page read again the other way round.
    doc_id = batch.groups[0].doc_id
    batch = fix(page=2, action=FixAction.ROTATE, turn=180)
    document = load_document(store, doc_id)
    assert batch.groups[0].doc_id == doc_id and document.pages[0].rotation == 180
    assert document.revocation is None
    batch = fix(page=2, action=FixAction.ROTATE, turn=180)
    assert load_document(store, doc_id).pages[0].rotation == 0

    # A page put into the other dossier's document, and a page sent back to the scanner.
    batch = fix(page=3, action=FixAction.MOVE, group=1)
    assert batch.groups[0].pages == [2] and batch.groups[1].pages == [3, 5]
    batch = fix(page=2, action=FixAction.RESCAN)
    assert any(r.page == 2 and r.reason == "rescan_requested" for r in batch.review)
    assert len(batch.fixes) == 5

    for wrong, error in [
        (dict(page=2, action=FixAction.ROTATE, turn=45), BadInput),
        (dict(page=1, action=FixAction.NOT_BLANK), Conflict),  # a cover sheet
        (dict(page=2, action=FixAction.NOT_BLANK), Conflict),  # not blank
        (dict(page=99, action=FixAction.BLANK), NotFound),
        (dict(page=2, action=FixAction.MOVE, group=7), NotFound),
    ]:
        with pytest.raises(error):
            fix(**wrong)
    assert len(load_batch(store, batch.id).fixes) == 5  # a refused fix changes nothing


def test_reading_the_hot_folder_is_refused_when_there_is_none_or_it_is_empty(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from people import make_people
    from sohoa.api.app import create_app
    from sohoa.api.backends import Backends
    from sohoa.api.settings import Settings
    from sohoa.ingest.executor import InlineExecutor
    from sohoa.search.sqlite import SqliteIndex

    store, index = _store(tmp_path / "data"), SqliteIndex(tmp_path / "index.sqlite3")
    people = make_people(store)
    hot = tmp_path / "hot"
    for folder, message in ((None, "no hot folder"), (hot, "no finished file")):
        settings = Settings(data_dir=tmp_path / "data", workers=1, hot_folder=folder, hot_folder_settle=0)
        app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
        with TestClient(app, base_url="https://testserver") as c:
            r = c.post("/api/v1/batches/folder", headers=people["staff"].headers)
            assert r.status_code == 409 and message in r.json()["detail"]
            assert c.post("/api/v1/batches/folder", headers=people["officer"].headers).status_code == 403
    assert list(store.list("batches/")) == []
