"""Operators' view: Prometheus metrics at /metrics (they parse, and they move when a page is read, in the
serving process although pages are read in worker processes) and readiness at /api/v1/ready (storage,
index and broker each answer, or the 503 says which did not), on real backends."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from conftest import Pair, make_elastic
from people import make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.api.worker import celery_app, queues
from sohoa.archive.pending import Pending, index_later
from sohoa.errors import ServiceUnavailable
from sohoa.ingest.celery_executor import PAGE_TASK
from sohoa.ingest.executor import InlineExecutor
from sohoa.ingest.pages import PageTask, run_page
from sohoa.ingest.remote_pages import page_done, run_remote, task_payload
from sohoa.ocr.pipeline import OcrOptions
from sohoa.samples.scangen import make_page
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore


def scrape(client: TestClient) -> dict[str, float]:
    """/metrics as parsed by Prometheus's own parser: every sample, by name and sorted labels."""
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}"] = s.value
    return samples


def free_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def page_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prom-scan") / "trang.png"
    make_page(seed=7, size="A5", lines=4).image.save(path, dpi=(300, 300))
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app as `sohoa serve` makes it (fs+sqlite, pages read in a spawned process pool), as staff."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("prom-data"), workers=1)
    with TestClient(create_app(settings)) as c:
        c.headers.update(make_people(c.app.state.backends.store)["staff"].headers)
        yield c


def test_metrics_parse_and_move_when_a_page_is_read(served: TestClient, page_png: Path) -> None:
    before = scrape(served)
    with page_png.open("rb") as f:
        r = served.post("/api/v1/documents", files={"file": ("trang.png", f, "image/png")})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    assert served.get(f"/api/v1/documents/{doc_id}").status_code == 200
    after = scrape(served)

    # Read in a worker process of the pool, counted in this one, where the page was committed.
    assert after["sohoa_pages_read_total{}"] == before["sohoa_pages_read_total{}"] + 1
    assert after["sohoa_ocr_seconds_count{}"] == before["sohoa_ocr_seconds_count{}"] + 1
    assert after["sohoa_ocr_seconds_sum{}"] > before["sohoa_ocr_seconds_sum{}"]
    assert after["sohoa_jobs_finished_total{state=done}"] >= 1
    assert after["sohoa_jobs_open{state=running}"] == 0
    assert after["sohoa_pending_index_writes{}"] == 0
    assert after["sohoa_queue_depth{queue=sohoa.ocr}"] == 0  # the local pool has no broker queue

    # Latency by the route's template: one series for every document, never its id.
    upload = "sohoa_request_seconds_count{method=POST,route=/api/v1/documents,status=201}"
    assert after[upload] == before.get(upload, 0) + 1
    assert after["sohoa_request_seconds_count{method=GET,route=/api/v1/documents/{doc_id},status=200}"] >= 1
    assert not [name for name in after if doc_id in name]


def test_unmatched_paths_share_one_series(served: TestClient) -> None:
    for n in range(3):
        served.get(f"/api/v1/no-such-thing-{n}")
    assert served.get("/static/sohoa.css").status_code == 200
    after = scrape(served)
    assert after["sohoa_request_seconds_count{method=GET,route=/static/{path},status=200}"] >= 1
    assert after["sohoa_request_seconds_count{method=GET,route=unmatched,status=404}"] >= 3
    assert not [name for name in after if "no-such-thing" in name]


def test_pending_index_writes_are_counted_at_scrape_time(served: TestClient) -> None:
    store = served.app.state.backends.store
    index_later(store, Pending.DOSSIER, "000.00.11.H29-250912-0001", RuntimeError("index down"))
    index_later(store, Pending.DOSSIER, "000.00.11.H29-250912-0002", RuntimeError("index down"))
    assert scrape(served)["sohoa_pending_index_writes{}"] == 2


def test_metrics_and_health_need_no_credentials(served: TestClient) -> None:
    anonymous = TestClient(served.app)
    assert anonymous.get("/metrics").status_code == 200
    assert anonymous.get("/api/v1/ready").status_code == 200
    assert anonymous.get("/api/v1/health").json()["status"] == "ok"


def test_the_ocr_time_comes_back_from_a_remote_worker(tmp_path: Path, page_png: Path) -> None:
    """A page read by a Celery worker: its reading time travels back with its keys (the same functions the
    worker and the sender run, on a real store)."""
    store = FilesystemStore(tmp_path / "store")
    store.put_file("work/t/source-1.png", page_png, content_type="image/png")
    task = PageTask(str(page_png), "image/png", 1, 300, str(tmp_path), OcrOptions())
    answer = run_remote(
        store, "run_page", task_payload(task, "work/t/source-1.png"), "work/t", tmp_path / "c"
    )
    done = page_done(store, answer, task)
    assert done.seconds > 0  # type: ignore[union-attr]


def test_a_page_read_locally_says_how_long_it_took(tmp_path: Path, page_png: Path) -> None:
    done = run_page(PageTask(str(page_png), "image/png", 1, 300, str(tmp_path), OcrOptions()))
    assert 0 < done.seconds < 300


def _app_on(store: ObjectStore, index: object, tmp_path: Path, **settings: object) -> TestClient:
    config = Settings(data_dir=tmp_path / "data", **settings)  # type: ignore[arg-type]
    return TestClient(create_app(config, backends=Backends(config, store, index, InlineExecutor())))  # type: ignore[arg-type]


def test_ready_when_storage_and_index_answer(pair: Pair, tmp_path: Path) -> None:
    with _app_on(pair.store, pair.index, tmp_path) as client:
        r = client.get("/api/v1/ready")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"
    assert {name: c["status"] for name, c in r.json()["components"].items()} == {
        "storage": "ok",
        "index": "ok",
    }


def test_not_ready_names_an_unreachable_elasticsearch(services: dict[str, str], tmp_path: Path) -> None:
    index = make_elastic(services)
    live = index.client  # type: ignore[attr-defined]
    dead = f"http://127.0.0.1:{free_port()}"
    # The server went away after the index was opened: the client now talks to a port where nothing listens.
    index.client, index.url = Elasticsearch(dead, request_timeout=1, max_retries=0), dead  # type: ignore[attr-defined]
    before = REGISTRY.get_sample_value(
        "sohoa_index_errors_total", {"backend": "elasticsearch", "kind": "unavailable"}
    )
    try:
        with _app_on(FilesystemStore(tmp_path / "store"), index, tmp_path) as client:
            r = client.get("/api/v1/ready")
            metrics = scrape(client)
    finally:
        index.client = live  # type: ignore[attr-defined]
        index.drop()  # type: ignore[attr-defined]
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["failed"] == ["index"]
    assert body["components"]["storage"]["status"] == "ok"
    assert body["components"]["index"]["status"] == "failed"
    assert "Elasticsearch" in body["message_vi"] and "chưa sẵn sàng" in body["message_vi"]
    assert dead in body["components"]["index"]["message_en"]
    assert r.headers["content-type"] == "application/problem+json"
    # The error was counted where it was translated, once.
    assert metrics["sohoa_index_errors_total{backend=elasticsearch,kind=unavailable}"] == (before or 0) + 1


def test_not_ready_names_an_index_that_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite3"
    index = SqliteIndex(path)
    with _app_on(FilesystemStore(tmp_path / "store"), index, tmp_path) as client:
        assert client.get("/api/v1/ready").status_code == 200
        # The database file overwritten under the server (a disk, a hand): a new connection cannot read it.
        index.close()
        for leftover in tmp_path.glob("index.sqlite3*"):
            leftover.unlink()
        path.write_bytes(b"not a database " * 512)
        r = client.get("/api/v1/ready")
    assert r.status_code == 503
    assert r.json()["failed"] == ["index"]
    # The kind only: a library's own message may name a path.
    assert r.json()["components"]["index"]["message_en"] == "index failed (DatabaseError)"
    assert str(tmp_path) not in r.text


class SlowStore:
    """A real store that stops answering existence questions (a server that accepts and never replies)."""

    def __init__(self, store: ObjectStore, seconds: float) -> None:
        self.store, self.seconds = store, seconds

    def exists(self, key: str) -> bool:
        time.sleep(self.seconds)
        return self.store.exists(key)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def test_a_silent_store_is_not_waited_for(tmp_path: Path) -> None:
    store = SlowStore(FilesystemStore(tmp_path / "store"), 6)
    with _app_on(store, SqliteIndex(tmp_path / "i.sqlite3"), tmp_path) as client:  # type: ignore[arg-type]
        start = time.monotonic()
        r = client.get("/api/v1/ready")
        took = time.monotonic() - start
    assert r.status_code == 503
    assert r.json()["failed"] == ["storage"]
    assert "không trả lời" in r.json()["components"]["storage"]["message_vi"]
    assert took < 4


def test_storage_errors_are_counted_where_translated(tmp_path: Path) -> None:
    from sohoa.storage.minio import MinioStore

    labels = {"backend": "minio", "kind": "unavailable"}
    before = REGISTRY.get_sample_value("sohoa_storage_errors_total", labels) or 0
    with pytest.raises(ServiceUnavailable):
        MinioStore(f"127.0.0.1:{free_port()}", "k", "s", bucket="sohoa-prom", retries=0)
    assert REGISTRY.get_sample_value("sohoa_storage_errors_total", labels) == before + 1


def test_celery_broker_readiness_and_queue_depth(services: dict[str, str], tmp_path: Path) -> None:
    prefix = f"prom-{uuid.uuid4().hex[:8]}"
    settings = {"executor": "celery", "broker_url": services["SOHOA_BROKER_URL"], "queue_prefix": prefix}
    config = Settings(data_dir=tmp_path / "data", **settings)  # type: ignore[arg-type]
    sender = celery_app(config)
    queue = queues(config)["ocr"]
    # Two page tasks nobody reads yet (no worker listens on this prefix): the queue holds two.
    for _ in range(2):
        sender.send_task(PAGE_TASK, args=("run_page", {}, "work/none"), queue=queue)
    try:
        with _app_on(FilesystemStore(tmp_path / "s"), SqliteIndex(tmp_path / "i"), tmp_path, **settings) as c:
            r = c.get("/api/v1/ready")
            metrics = scrape(c)
    finally:
        with sender.connection_for_write() as conn:
            conn.default_channel.client.delete(queue)
    assert r.status_code == 200, r.text
    assert r.json()["components"]["broker"]["status"] == "ok"
    assert metrics[f"sohoa_queue_depth{{queue={queue}}}"] == 2


def test_not_ready_names_an_unreachable_broker(tmp_path: Path) -> None:
    settings = {"executor": "celery", "broker_url": f"redis://127.0.0.1:{free_port()}/0"}
    with _app_on(FilesystemStore(tmp_path / "s"), SqliteIndex(tmp_path / "i"), tmp_path, **settings) as c:
        r = c.get("/api/v1/ready")
        metrics = scrape(c)
    assert r.status_code == 503
    assert r.json()["failed"] == ["broker"]
    assert "Redis" in r.json()["message_vi"]
    assert (
        metrics["sohoa_queue_depth{queue=sohoa.ocr}"] != metrics["sohoa_queue_depth{queue=sohoa.ocr}"]
    )  # NaN
