"""Jobs are records: every intake is written as a job before any work starts, kept up to date while it runs
(state, pages done of all, heartbeat), closed as done or failed; `sohoa jobs` and GET /api/v1/jobs show
them; a job whose process died is taken over (a stack in storage is finished, a person's local file is
marked failed); and a `sohoa serve` killed with SIGKILL mid-batch finishes the batch when started again,
with nothing uploaded twice. Real stores, real Tesseract, real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from people import AGENCY, make_people
from served import start_serve
from sohoa.api.app import create_app
from sohoa.api.backends import make_backends
from sohoa.api.settings import Settings
from sohoa.errors import BadInput
from sohoa.ingest.batches import PageResult
from sohoa.ingest.context import IngestContext
from sohoa.ingest.intake import Intake, Source, stack
from sohoa.ingest.jobs import load_job, open_job, submit_job
from sohoa.ingest.pipeline import IngestMeta, Progress
from sohoa.ingest.resume import INTERRUPTED, resume_unfinished
from sohoa.records.basics import utcnow
from sohoa.records.batches import Batch, BatchStatus
from sohoa.records.jobs import Job, JobState
from sohoa.samples.scangen import make_page, write_pdf
from sohoa.samples.stacks import long_stack
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import write_manifest

SOHOA = str(Path(sys.executable).parent / "sohoa")


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1", "COLUMNS": "250", **extra}


def _ctx(tmp: Path) -> IngestContext:
    return IngestContext.given(FilesystemStore(tmp / "store"), SqliteIndex(tmp / "index.sqlite3"))


def _jobs(store: ObjectStore) -> list[Job]:
    return [
        Job.model_validate_json(store.get_bytes(k)) for k in store.list("jobs/") if k.endswith("job.json")
    ]


def test_a_small_stack_runs_as_a_job_queued_running_done_with_its_pages(tmp_path: Path) -> None:
    images, truth = long_stack(3, seed=3, per_dossier=2)
    pdf = tmp_path / "stack.pdf"
    write_pdf(images, pdf)
    ctx = _ctx(tmp_path)
    seen: list[tuple[JobState, int]] = []  # the job as stored while its pages were being read

    def progress(p: Progress) -> None:
        [job] = _jobs(ctx.store)
        seen.append((job.state, job.pages_total))

    taken = submit_job(ctx, stack(Source.CLI, [pdf], IngestMeta(name="lô", agency=AGENCY)), progress)
    assert taken.batch is not None and taken.job_id is not None
    job = load_job(ctx.store, taken.job_id)
    assert seen and all(state is JobState.RUNNING for state, _ in seen)
    assert job.state is JobState.DONE and job.pages_done == job.pages_total == len(images)
    assert job.documents == [g.doc_id for g in taken.batch.groups if g.doc_id]
    assert len(job.documents) == len(truth.groups)
    assert job.batch_id == taken.batch.id and job.source == "cli" and job.cut == "cover_sheets"
    assert job.started_at and job.finished_at and job.created_at <= job.started_at <= job.finished_at
    assert job.owner and job.owner.endswith(f":{os.getpid()}") and not job.errors
    assert not list(ctx.store.list(keys.OPEN_JOBS_PREFIX))  # nothing left for a restarted process


def test_the_job_is_written_before_the_work_and_a_refused_stack_fails_it_with_the_reason(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\0" * 4000)  # the scanner's software crashed mid-file
    ctx = _ctx(tmp_path)
    with pytest.raises(BadInput) as refused:
        submit_job(ctx, stack(Source.CLI, [broken], IngestMeta(name="hỏng", agency=AGENCY)))
    [job] = _jobs(ctx.store)
    assert job.state is JobState.FAILED and job.errors == [f"{refused.value.vi} / {refused.value.en}"]
    assert job.files == [str(broken)] and not job.stored and job.pages_done == 0
    assert not list(ctx.store.list("batches/"))  # nothing of the stack was stored


def _left_running(store: ObjectStore, job: Job, *, seconds_ago: float) -> None:
    """The job as a process that died running it left it."""
    job.state, job.owner = JobState.RUNNING, "other-host:4242"
    job.heartbeat_at = job.started_at = utcnow() - timedelta(seconds=seconds_ago)
    write_manifest(store, keys.job_manifest(job.id), job)


def test_a_cli_job_whose_owner_died_is_marked_failed_and_a_live_one_is_left_alone(
    store: ObjectStore, tmp_path: Path
) -> None:
    ctx = IngestContext.given(store, SqliteIndex(tmp_path / "index.sqlite3"))
    meta = IngestMeta(name="a.png", agency=AGENCY, by="cli")
    dead = open_job(store, Intake(Source.CLI, (tmp_path / "a.png",), meta))
    alive = open_job(store, Intake(Source.CLI, (tmp_path / "b.png",), meta))
    _left_running(store, dead, seconds_ago=60)
    _left_running(store, alive, seconds_ago=1)
    # Two processes look at once: one takes the dead job, and it is failed once.
    results: list[list[str]] = []
    lookers = [threading.Thread(target=lambda: results.append(resume_unfinished(ctx))) for _ in range(2)]
    for t in lookers:
        t.start()
    for t in lookers:
        t.join()
    assert sorted(i for found in results for i in found) == [dead.id]
    failed = load_job(store, dead.id)
    assert failed.state is JobState.FAILED and failed.errors == [INTERRUPTED] and failed.finished_at
    assert "bring the file again" in INTERRUPTED
    assert load_job(store, alive.id).state is JobState.RUNNING
    open_markers = sorted(k.rsplit("/", 1)[1] for k in store.list(keys.OPEN_JOBS_PREFIX))
    assert open_markers == [alive.id]


def test_sohoa_jobs_lists_filters_shows_and_refuses_a_bad_state(tmp_path: Path) -> None:
    page = tmp_path / "giay.png"
    make_page(seed=5, size="A5", lines=3).image.save(page, dpi=(300, 300))
    data = tmp_path / "data"
    run = lambda *a: subprocess.run(  # noqa: E731
        [SOHOA, *a], env=_env(data), capture_output=True, text=True, timeout=300
    )
    ingested = run("ingest", str(page), "--agency", AGENCY)
    assert ingested.returncode == 0, ingested.stderr
    [job] = _jobs(FilesystemStore(data / "store"))
    assert job.state is JobState.DONE and job.source == "cli" and len(job.documents) == 1

    listed = run("jobs")
    assert listed.returncode == 0 and job.id in listed.stdout and "done" in listed.stdout
    assert "1/1" in listed.stdout
    done = run("jobs", "--state", "done")
    assert done.returncode == 0 and job.id in done.stdout
    failed = run("jobs", "--state", "failed")
    assert failed.returncode == 0 and job.id not in failed.stdout
    bad = run("jobs", "--state", "finished")
    assert bad.returncode == 2 and "unknown state" in bad.stderr and "queued" in bad.stderr
    shown = run("jobs", "show", job.id)
    assert shown.returncode == 0 and json.loads(shown.stdout)["documents"] == job.documents
    unknown = run("jobs", "show", "job-" + "0" * 16)
    assert unknown.returncode == 3 and "not found" in unknown.stderr
    malformed = run("jobs", "show", "../../etc")
    assert malformed.returncode == 2 and "malformed job id" in malformed.stderr


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, dict, ObjectStore]]:
    settings = Settings(data_dir=tmp_path / "data")
    backends = make_backends(settings)
    people = make_people(backends.store)
    try:
        with TestClient(create_app(settings, backends)) as client:
            yield client, people, backends.store
    finally:
        backends.close()


def test_get_job_by_role_and_agency_unknown_and_malformed(api: tuple[TestClient, dict, ObjectStore]) -> None:
    client, people, store = api
    meta = IngestMeta(name="a.png", agency=AGENCY, by="staff")
    job = open_job(store, Intake(Source.UPLOAD, (Path("/srv/sohoa/tmp/upload-x"),), meta))
    get = lambda path, who: client.get(path, headers=people[who].headers)  # noqa: E731
    r = get(f"/api/v1/jobs/{job.id}", "staff")
    assert r.status_code == 200 and r.json()["state"] == "queued" and r.json()["source"] == "upload"
    assert r.json()["files"] == []  # a path on the server is not the client's business
    assert get(f"/api/v1/jobs/{job.id}", "officer").status_code == 200
    assert get(f"/api/v1/jobs/{job.id}", "admin").status_code == 200
    assert get(f"/api/v1/jobs/{job.id}", "officer2").status_code == 404  # another agency's job
    assert get(f"/api/v1/jobs/{job.id}", "citizen-a").status_code == 403
    unknown = get("/api/v1/jobs/job-" + "0" * 16, "staff")
    assert unknown.status_code == 404 and unknown.json()["message_en"].startswith("job ")
    malformed = get("/api/v1/jobs/job-XYZ", "staff")
    assert malformed.status_code == 422 and "malformed job id" in malformed.json()["message_en"]
    assert [j["id"] for j in get("/api/v1/jobs?state=queued", "staff").json()] == [job.id]
    assert get("/api/v1/jobs?state=done", "staff").json() == []
    assert get("/api/v1/jobs", "officer2").json() == []
    assert get("/api/v1/jobs?state=finished", "staff").status_code == 422


def _serve(data: Path, log: Path, base_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    env = {**base_env, "SOHOA_WORKERS": "1", "SOHOA_JOB_HEARTBEAT_SECONDS": "0.5"}
    return start_serve(env, log)


def _results(store: ObjectStore, batch_id: str) -> list[PageResult]:
    found = [k for k in store.list(keys.batch_pages_prefix(batch_id)) if k.endswith(".json")]
    return [PageResult.model_validate_json(store.get_bytes(k)) for k in found]


def test_a_serve_killed_mid_batch_finishes_it_when_started_again_without_a_new_upload(
    tmp_path: Path, reader: Callable[[Path], dict[str, str]]
) -> None:
    images, truth = long_stack(8, seed=11, per_dossier=3)
    pdf = tmp_path / "stack.pdf"
    write_pdf(images, pdf)
    data, log = tmp_path / "data", tmp_path / "serve.log"
    store = FilesystemStore(data / "store")
    staff = make_people(store)["staff"]
    first, base = _serve(data, log, reader(data))
    second = None
    try:
        with pdf.open("rb") as f:
            r = httpx.post(
                f"{base}/api/v1/batches",
                files=[("files", ("stack.pdf", f, "application/pdf"))],
                headers=staff.headers,
                timeout=120,
            )
        assert r.status_code == 202, r.text
        batch_id, job_id = r.json()["id"], r.json()["job_id"]
        assert job_id and httpx.get(f"{base}/api/v1/jobs/{job_id}", headers=staff.headers).status_code == 200
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(_results(store, batch_id)) < 2:
            time.sleep(0.1)
        os.kill(first.pid, signal.SIGKILL)  # the server only: its pool workers see it die and go
        first.wait(timeout=30)
        before = {p.page.number: p.page.run for p in _results(store, batch_id)}
        assert 2 <= len(before) < len(images), "the kill must land mid-batch"
        left = load_job(store, job_id)
        assert left.state is JobState.RUNNING and left.owner and left.owner.endswith(f":{first.pid}")

        # Nothing uploaded again: the new server finds the job itself.
        second, base = _serve(data, log, reader(data))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            job = httpx.get(f"{base}/api/v1/jobs/{job_id}", headers=staff.headers, timeout=10).json()
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.3)
        assert job["state"] == "done", job
        assert job["owner"].endswith(f":{second.pid}") and job["pages_done"] == job["pages_total"] == len(
            images
        )
    finally:
        for server in (first, second):
            if server is not None and server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
    batch = Batch.model_validate_json(store.get_bytes(keys.batch_manifest(batch_id)))
    assert batch.status is BatchStatus.DONE and batch.job_id == job_id
    results = _results(store, batch_id)
    assert sorted(r.page.number for r in results) == list(range(1, len(images) + 1))  # none lost, none twice
    assert all(r.page.run == before[r.page.number] for r in results if r.page.number in before)
    assert [g.pages for g in batch.groups] == truth.groups
    assert len(list(store.list("by-sha256/"))) == len(truth.groups) == batch.documents  # each stored once
    assert sorted(job["documents"]) == sorted(g.doc_id for g in batch.groups if g.doc_id)
    assert len(list(store.list("batches/"))) and not list(store.list(keys.OPEN_JOBS_PREFIX))
