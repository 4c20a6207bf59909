"""Events for the one-stop software: every kind reaches a receiving HTTP server on loopback with a valid
HMAC signature; a receiver that fails twice then answers gets the event acknowledged once after three
logged attempts; two rounds at once send one request; a `sohoa serve` killed after a failed attempt
delivers the event when started again; bad subscriptions and callers are refused. Real stores (filesystem
and MinIO), real OCR, real HTTP, a real server process."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import Pair
from people import AGENCY, CITIZEN_A, make_people
from served import free_port, start_serve
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive.deliveries import DeliveryPolicy, deliver_round
from sohoa.archive.dossiers import create_dossier, reuse_document
from sohoa.archive.edits import edit_document
from sohoa.archive.lifecycle import confirm_fields, revoke
from sohoa.archive.outbox import emit
from sohoa.archive.reuses import finish_reuse
from sohoa.archive.subscriptions import add_subscription, deliveries
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.confirmations import FieldChange
from sohoa.records.dossiers import Applicant, NewDossier, ReuseEvent
from sohoa.records.events import DocumentEvent, EventKind, ReuseNotice
from sohoa.records.models import Document, DocumentKind, FieldName
from sohoa.records.subscriptions import DeliveryStatus, NewSubscription
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from waiting import until

SOHOA = str(Path(sys.executable).parent / "sohoa")
LOOPBACK = DeliveryPolicy(allow_private=True, retry_base=0.05, timeout=5)


class Receiver:
    """An HTTP server on loopback that keeps what it is sent and answers 500 to the first `fail` requests."""

    def __init__(self, *, fail: int = 0, delay: float = 0.0, port: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.fail, self.delay = fail, delay
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(outer.delay)
                status = 500 if len(outer.answers) < outer.fail else 204
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                outer.answers.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sohoa"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def acknowledged(self) -> list[dict[str, object]]:
        return [
            json.loads(body)
            for (_, body), code in zip(self.received, self.answers, strict=True)
            if code < 300
        ]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _check_signature(headers: dict[str, str], body: bytes, secret: str, window: int = 300) -> None:
    """What a receiver does (docs/events.md): recompute the HMAC of "<t>.<body>", compare in constant time,
    refuse a timestamp outside the replay window."""
    parts = dict(p.split("=", 1) for p in headers["x-sohoa-signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected), "signature does not match"
    assert abs(time.time() - int(parts["t"])) < window


def _subscribe(store: ObjectStore, url: str, kinds: list[EventKind] | None = None, **extra: object):
    new = NewSubscription(url=url, kinds=kinds or list(EventKind), **extra)  # type: ignore[arg-type]
    return add_subscription(store, new, by="admin", allow_private=True)


def _page(tmp_path: Path, name: str = "ks.png", seed: int = 41) -> Path:
    path = tmp_path / name
    make_page(seed=seed, size="A5", lines=4).image.save(path, dpi=(300, 300))
    return path


def _dossier(pair_store: ObjectStore, index: SearchIndex, owner: str = CITIZEN_A) -> str:
    new = NewDossier(
        agency=AGENCY,
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=owner, name="Nguyễn Văn An"),
    )
    return create_dossier(pair_store, index, new, by="officer").code


def test_a_receiver_gets_every_event_kind_signed(pair: Pair, tmp_path: Path, receiver: Receiver) -> None:
    sub = _subscribe(pair.store, receiver.url)
    first = _dossier(pair.store, pair.index)
    meta = IngestMeta(name="ks.png", dossier_code=first, kind=DocumentKind.RESULT, agency=AGENCY, by="staff")
    doc = ingest_file(
        _page(tmp_path), store=pair.store, index=pair.index, meta=meta, executor=InlineExecutor()
    ).document
    assert doc.owner_id == CITIZEN_A
    change = FieldChange(name=FieldName.ISSUER, value="UBND phường Bến Nghé", page=1)
    confirm_fields(pair.store, pair.index, doc.id, [change], by="officer")
    edit_document(pair.store, pair.index, doc.id, {"valid_until": "2099-12-31"}, by="officer")
    second = _dossier(pair.store, pair.index)
    reuse = reuse_document(pair.store, pair.index, second, doc.id, by="officer")
    revoke(pair.store, pair.index, doc.id, "cấp nhầm người", by="officer")
    # Six changes, six events, each stored before anything is sent.
    assert len(list(pair.store.list(keys.OUTBOX_PREFIX))) == 6

    report = deliver_round(pair.store, LOOPBACK)
    assert (report.acknowledged, report.failed, report.cleared) == (6, 0, 6)
    assert sorted(h["x-sohoa-event"] for h, _ in receiver.received) == sorted(k.value for k in EventKind)
    for headers, body in receiver.received:
        _check_signature(headers, body, sub.secret)
        event = json.loads(body)
        assert headers["x-sohoa-delivery"] == event["id"] and headers["x-sohoa-event"] == event["kind"]
        assert event["agency"] == AGENCY and event["time"]
        # The same record shapes as the API answers.
        if event["kind"] == EventKind.REUSED:
            notice = ReuseNotice.model_validate(event)
            assert notice.reuse == reuse and notice.document and notice.document.id == doc.id
        else:
            assert DocumentEvent.model_validate(event).document.id == doc.id
    by_kind = {h["x-sohoa-event"]: json.loads(b) for h, b in receiver.received}
    assert by_kind[EventKind.REVOKED]["document"]["validity"] == "revoked"
    assert by_kind[EventKind.VALIDITY_CHANGED]["document"]["valid_until"] == "2099-12-31"
    confirmed = by_kind[EventKind.FIELDS_CONFIRMED]["document"]["fields"]
    assert any(f["confirmed"] and f["value"] == "UBND phường Bến Nghé" for f in confirmed)
    assert by_kind[EventKind.RESULT_ISSUED]["document"]["kind"] == "result"
    # Acknowledged is done: the outbox is empty and the next round sends nothing.
    assert list(pair.store.list(keys.OUTBOX_PREFIX)) == []
    assert deliver_round(pair.store, LOOPBACK).acknowledged == 0 and len(receiver.received) == 6
    log = deliveries(pair.store, sub.id)
    assert len(log) == 6 and {a.status for a in log} == {DeliveryStatus.ACKNOWLEDGED}


def _document(doc_id: str = "ab" * 12, agency: str = AGENCY) -> Document:
    return Document(
        id=doc_id,
        agency=agency,
        master_key=f"documents/{doc_id}/master/x.png",
        master_sha256="0" * 64,
        master_name="giấy khai sinh.png",
        master_media_type="image/png",
        master_size=1,
    )


def _event(event_id: str = "e1", agency: str = AGENCY) -> DocumentEvent:
    return DocumentEvent(
        id=event_id, kind=EventKind.REVOKED, agency=agency, document=_document(agency=agency)
    )


def test_a_receiver_failing_twice_gets_the_event_acknowledged_once(store: ObjectStore) -> None:
    receiver = Receiver(fail=2)
    try:
        sub = _subscribe(store, receiver.url, [EventKind.REVOKED])
        emit(store, _event())
        for _ in range(200):
            deliver_round(store, LOOPBACK)
            if not list(store.list(keys.OUTBOX_PREFIX)):
                break
            time.sleep(0.05)
        for _ in range(3):  # acknowledged: nothing more is sent
            deliver_round(store, LOOPBACK)
    finally:
        receiver.close()
    assert receiver.answers == [500, 500, 204]
    assert len(receiver.acknowledged()) == 1
    assert {h["x-sohoa-delivery"] for h, _ in receiver.received} == {"e1"}  # the receiver's dedup key
    log = sorted(deliveries(store, sub.id), key=lambda a: a.attempt)
    assert [(a.attempt, a.status, a.code) for a in log] == [
        (1, DeliveryStatus.FAILED, 500),
        (2, DeliveryStatus.FAILED, 500),
        (3, DeliveryStatus.ACKNOWLEDGED, 204),
    ]
    # Exponential backoff: the second wait is twice the first, each next try set before it was made.
    assert log[0].next_try and log[1].next_try and log[2].next_try is None
    assert (log[0].next_try - log[0].finished_at).total_seconds() == pytest.approx(0.05)  # type: ignore[operator]
    assert (log[1].next_try - log[1].finished_at).total_seconds() == pytest.approx(0.1)  # type: ignore[operator]
    assert log[1].at >= log[0].next_try and log[2].at >= log[1].next_try


def test_two_rounds_at_once_send_one_request(store: ObjectStore) -> None:
    """Two servers running the loop on one store: the attempt is claimed (create-if-absent) before it is
    sent, so the slow receiver is asked once, not twice."""
    receiver = Receiver(delay=0.5)
    try:
        _subscribe(store, receiver.url, [EventKind.REVOKED])
        emit(store, _event())
        threads = [threading.Thread(target=deliver_round, args=(store, LOOPBACK)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        receiver.close()
    assert receiver.answers == [204]


def test_events_go_only_to_the_agency_and_kinds_subscribed(tmp_path: Path, receiver: Receiver) -> None:
    store = FilesystemStore(tmp_path / "store")
    _subscribe(store, receiver.url, [EventKind.REVOKED], agency=AGENCY)
    emit(store, _event("mine"))
    emit(store, _event("theirs", agency="000.00.12.H29"))
    emit(store, DocumentEvent(id="other-kind", kind=EventKind.DIGITIZED, agency=AGENCY, document=_document()))
    deliver_round(store, LOOPBACK)
    assert [h["x-sohoa-delivery"] for h, _ in receiver.received] == ["mine"]
    assert list(store.list(keys.OUTBOX_PREFIX)) == []  # nobody else wants the other two


def _serve(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(data),
        "SOHOA_WORKERS": "1",
        "SOHOA_WEBHOOKS_ALLOW_PRIVATE": "1",
        "SOHOA_DELIVERY_SECONDS": "0.2",
        "SOHOA_WEBHOOK_RETRY_SECONDS": "1",
        "SOHOA_WEBHOOK_TIMEOUT_SECONDS": "2",
    }
    return start_serve(env, log)


def test_a_server_killed_after_a_failed_attempt_delivers_when_started_again(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "serve.log"
    store = FilesystemStore(data / "store")
    index = SqliteIndex(data / "index.sqlite3")
    officer = make_people(store)["officer"]
    meta = IngestMeta(name="p.png", owner_id=CITIZEN_A, agency=AGENCY, by="staff")
    doc = ingest_file(
        _page(tmp_path), store=store, index=index, meta=meta, executor=InlineExecutor()
    ).document
    index.close()
    port = free_port()  # where the receiver will listen, once it is up
    sub = _subscribe(store, f"http://127.0.0.1:{port}/hooks", [EventKind.REVOKED])
    first, base = _serve(data, log)
    second = receiver = None
    try:
        r = httpx.post(
            f"{base}/api/v1/documents/{doc.id}/revoke",
            json={"reason": "cấp nhầm người"},
            headers=officer.headers,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert until(lambda: any(a.status is DeliveryStatus.FAILED for a in deliveries(store, sub.id)), 30)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        (failed,) = deliveries(store, sub.id)
        assert failed.attempt == 1 and "ConnectError" in (failed.error or "")
        assert failed.by.endswith(f":{first.pid}")
        assert len(list(store.list(keys.OUTBOX_PREFIX))) == 1  # kept across the kill

        receiver = Receiver(port=port)
        second, _ = _serve(data, log)
        assert until(lambda: bool(receiver.received), 60), log.read_text()[-3000:]
        assert until(lambda: not list(store.list(keys.OUTBOX_PREFIX)), 30)
    finally:
        for server in (first, second):
            if server and server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
        if receiver:
            receiver.close()
    ((headers, body),) = receiver.received
    _check_signature(headers, body, sub.secret)
    event = json.loads(body)
    assert event["kind"] == "document.revoked" and event["document"]["id"] == doc.id
    log_entries = sorted(deliveries(store, sub.id), key=lambda a: a.attempt)
    assert [(a.attempt, a.status) for a in log_entries] == [
        (1, DeliveryStatus.FAILED),
        (2, DeliveryStatus.ACKNOWLEDGED),
    ]
    assert log_entries[1].by.endswith(f":{second.pid}")  # type: ignore[union-attr]


@pytest.fixture
def admin_api(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, object]]]:
    store = FilesystemStore(tmp_path / "store")
    index = SqliteIndex(tmp_path / "index.sqlite3")
    people = make_people(store)
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app) as client:
        yield client, {"people": people, "backends": app.state.backends, "store": store}
    index.close()


def test_subscriptions_through_the_api(admin_api: tuple[TestClient, dict[str, object]]) -> None:
    client, world = admin_api
    admin = world["people"]["admin"].headers  # type: ignore[index]
    world["backends"].settings.webhooks_allow_private = True  # type: ignore[attr-defined]
    body = {
        "url": "http://127.0.0.1:9/hooks",
        "kinds": ["document.revoked", "result.issued"],
        "agency": AGENCY,
    }
    r = client.post("/api/v1/subscriptions", json=body, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert len(created["secret"]) >= 32 and created["secret_hint"] == "…" + created["secret"][-4:]
    listed = client.get("/api/v1/subscriptions", headers=admin).json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in json.dumps(listed)
    assert client.get(f"/api/v1/subscriptions/{created['id']}/deliveries", headers=admin).json() == []
    assert client.delete(f"/api/v1/subscriptions/{created['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/subscriptions", headers=admin).json() == []
    gone = client.delete(f"/api/v1/subscriptions/{created['id']}", headers=admin)
    assert gone.status_code == 404 and gone.json()["message_vi"]
    assert client.get("/api/v1/subscriptions/sub-0000/deliveries", headers=admin).status_code == 404
    # The schema names each event's body.
    hooks = client.get("/openapi.json").json()["webhooks"]
    assert set(hooks) == {k.value for k in EventKind}
    schema = hooks["document.reused"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/ReuseNotice")


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"url": "ftp://example.org/hooks", "kinds": ["document.revoked"]}, 422, "only http"),
        ({"url": "file:///etc/passwd", "kinds": ["document.revoked"]}, 422, "only http"),
        ({"url": "http://127.0.0.1:8000/api/v1/health", "kinds": ["document.revoked"]}, 422, "private"),
        ({"url": "http://localhost/hooks", "kinds": ["document.revoked"]}, 422, "private"),
        ({"url": "http://169.254.169.254/latest", "kinds": ["document.revoked"]}, 422, "private"),
        ({"url": "http://10.1.2.3/hooks", "kinds": ["document.revoked"]}, 422, "private"),
        ({"url": "http://[::1]:9200/", "kinds": ["document.revoked"]}, 422, "private"),
        ({"url": "https://example.org/hooks", "kinds": ["document.burned"]}, 422, None),
        ({"url": "https://example.org/hooks", "kinds": []}, 422, None),
        ({"url": "https://example.org/hooks", "kinds": ["result.issued"], "secret": "short"}, 422, None),
    ],
)
def test_bad_subscriptions_are_refused(
    admin_api: tuple[TestClient, dict[str, object]], body: dict[str, object], status: int, said: str | None
) -> None:
    client, world = admin_api
    r = client.post("/api/v1/subscriptions", json=body, headers=world["people"]["admin"].headers)  # type: ignore[index]
    assert r.status_code == status, r.text
    if said:
        assert said in r.json()["message_en"] and r.json()["message_vi"]
    assert list(world["store"].list(keys.SUBSCRIPTIONS_PREFIX)) == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", ["staff", "officer", "citizen-a", None])
def test_only_admins_manage_subscriptions(
    admin_api: tuple[TestClient, dict[str, object]], who: str | None
) -> None:
    client, world = admin_api
    headers = world["people"][who].headers if who else {}  # type: ignore[index]
    body = {"url": "https://example.org/hooks", "kinds": ["document.revoked"]}
    r = client.post("/api/v1/subscriptions", json=body, headers=headers)
    assert r.status_code == (401 if who is None else 403) and r.json()["message_en"]
    assert client.get("/api/v1/subscriptions", headers=headers).status_code in (401, 403)


def test_a_delivery_to_an_address_now_private_is_refused_and_logged(
    tmp_path: Path, receiver: Receiver
) -> None:
    """The guard is checked again at each delivery: a subscription made while private addresses were
    allowed gets nothing once they are not."""
    store = FilesystemStore(tmp_path / "store")
    sub = _subscribe(store, receiver.url, [EventKind.REVOKED])
    emit(store, _event())
    report = deliver_round(store, DeliveryPolicy(allow_private=False, retry_base=0.05))
    assert report.failed == 1 and receiver.received == []
    (attempt,) = deliveries(store, sub.id)
    assert attempt.status is DeliveryStatus.FAILED and "private" in (attempt.error or "")


def test_cli_subscriptions_and_deliver(tmp_path: Path, receiver: Receiver) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WEBHOOKS_ALLOW_PRIVATE": "1", "COLUMNS": "200"}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SOHOA, *args], env=env, capture_output=True, text=True, input=stdin, timeout=120, check=False
        )

    bad = run("subscriptions", "add", "ftp://example.org/x", "--kind", "document.revoked")
    assert bad.returncode == 2 and "only http" in bad.stderr
    unknown = run("subscriptions", "add", receiver.url, "--kind", "document.burned")
    assert unknown.returncode == 2 and "document.revoked" in unknown.stderr
    refused = subprocess.run(
        [SOHOA, "subscriptions", "add", receiver.url, "--kind", "document.revoked"],
        env={**env, "SOHOA_WEBHOOKS_ALLOW_PRIVATE": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 2 and "SOHOA_WEBHOOKS_ALLOW_PRIVATE" in refused.stderr
    made = run("subscriptions", "add", receiver.url, "--kind", "document.revoked", "--secret-stdin",
               stdin="a-secret-of-the-one-stop-system\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    sub_id = made.stdout.split()[0]
    listed = run("subscriptions", "list")
    assert sub_id in listed.stdout and "…stem" in listed.stdout and "a-secret" not in listed.stdout
    store = FilesystemStore(data / "store")
    emit(store, _event())
    delivered = run("deliver")
    assert delivered.returncode == 0 and "1 đã nhận / acknowledged" in delivered.stdout, delivered.stderr
    _check_signature(*receiver.received[0], "a-secret-of-the-one-stop-system")
    log = run("subscriptions", "deliveries", sub_id)
    assert "acknowledged" in log.stdout and "e1" in log.stdout
    assert run("subscriptions", "remove", sub_id).returncode == 0
    assert run("subscriptions", "remove", sub_id).returncode == 3


class Crash(Exception):
    pass


class CrashingStore:
    """A real store that dies (raises) at its `crash_at`-th write: a process killed between two writes."""

    def __init__(self, store: ObjectStore, crash_at: int) -> None:
        self.store, self.crash_at, self.writes = store, crash_at, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def _write(self, name: str, *args: object, **kwargs: object) -> object:
        self.writes += 1
        if self.writes == self.crash_at:
            raise Crash(name)
        return getattr(self.store, name)(*args, **kwargs)

    def create_bytes(self, *args: object, **kwargs: object) -> object:
        return self._write("create_bytes", *args, **kwargs)

    def put_bytes(self, *args: object, **kwargs: object) -> object:
        return self._write("put_bytes", *args, **kwargs)


@pytest.mark.parametrize("crash_at", [2, 3], ids=["before-the-announcement", "before-the-link"])
def test_a_reuse_finished_after_a_crash_is_announced_once(store: ObjectStore, crash_at: int) -> None:
    """A reuse's writes after its marker: the event (1), the announcement (2), the link (3). Cut off at any
    of them, finishing it (a retry, or the repair when its count is read) announces it, under one key."""
    _subscribe(store, "http://127.0.0.1:9/hook", [EventKind.REUSED])  # nobody subscribed: nothing is stored
    reuse = ReuseEvent(id="r1", dossier_code="X-1", doc_id="ab" * 12, owner_id=None, agency=AGENCY, by="o")
    with pytest.raises(Crash):
        finish_reuse(CrashingStore(store, crash_at), reuse)  # type: ignore[arg-type]
    assert len(list(store.list(keys.OUTBOX_PREFIX))) == crash_at - 2
    finish_reuse(store, reuse)
    finish_reuse(store, reuse)
    (key,) = store.list(keys.OUTBOX_PREFIX)
    assert json.loads(store.get_bytes(key))["reuse"]["id"] == "r1"
    store.delete(key)  # delivered and cleared: a finished reuse is not announced again
    finish_reuse(store, reuse)
    assert list(store.list(keys.OUTBOX_PREFIX)) == []


def test_an_event_nobody_subscribed_to_is_not_stored(store: ObjectStore) -> None:
    """A subscription gets only events made after it: one nobody wants when it happens is never sent, so an
    installation without subscribers writes nothing to the outbox."""

    def reused(n: int) -> int:
        event = ReuseEvent(
            id=f"r{n}", dossier_code=f"X-{n}", doc_id="cd" * 12, owner_id=None, agency=AGENCY, by="o"
        )
        finish_reuse(store, event)
        return len(list(store.list(keys.OUTBOX_PREFIX)))

    assert reused(1) == 0
    _subscribe(store, "http://127.0.0.1:9/a", [EventKind.DIGITIZED])  # another kind
    _subscribe(store, "http://127.0.0.1:9/b", [EventKind.REUSED], agency="000.00.99.H99")  # another agency
    assert reused(2) == 0
    _subscribe(store, "http://127.0.0.1:9/c", [EventKind.REUSED])
    assert reused(3) == 1
