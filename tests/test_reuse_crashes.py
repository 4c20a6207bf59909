"""Reuse is exactly once under crashes, on every store and index pair: the process is made to die right
after each write of a reuse in turn (store and index writes alike, on the real backends), then the reuse is
retried, or only read back through the repair path; either way one link, one event, and counts that match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sohoa.archive import page_records, reindex
from sohoa.archive.documents import document_record
from sohoa.archive.dossiers import create_dossier, load_dossier, reuse_count, reuse_document
from sohoa.archive.subscriptions import add_subscription
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.dossiers import Applicant, LinkKind, NewDossier, ReuseEvent
from sohoa.records.events import EventKind
from sohoa.records.models import LOCAL_TZ, Document
from sohoa.records.subscriptions import NewSubscription
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchIndex
from sohoa.search.records import RecordIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectInfo, ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.manifests import write_manifest

CITIZEN = "001203012345"


class Crash(RuntimeError):
    """The process dying right after a write: the write is kept, nothing after it happens."""


class Writes:
    """Counts the writes of one call, store and index alike, and crashes after the `crash_after`-th."""

    def __init__(self, crash_after: int | None = None) -> None:
        self.crash_after = crash_after
        self.log: list[str] = []

    def done(self, what: str) -> None:
        self.log.append(what)
        if len(self.log) == self.crash_after:
            raise Crash(f"crashed after write {len(self.log)}: {what}")


class CrashingStore:
    """The real store, with every write counted by `writes` (and the process dying where it says)."""

    def __init__(self, store: ObjectStore, writes: Writes) -> None:
        self._store, self._writes = store, writes

    def put_bytes(self, key: str, data: bytes, **kw: Any) -> ObjectInfo:
        info = self._store.put_bytes(key, data, **kw)
        self._writes.done(key)
        return info

    def create_bytes(self, key: str, data: bytes, **kw: Any) -> ObjectInfo:
        info = self._store.create_bytes(key, data, **kw)
        self._writes.done(key)
        return info

    def put_file(self, key: str, path: Path, **kw: Any) -> ObjectInfo:
        info = self._store.put_file(key, path, **kw)
        self._writes.done(key)
        return info

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)  # reads go to the real store untouched


def _counted(real: Callable[[list[Any]], None], name: str, writes: Writes) -> Callable[[list[Any]], None]:
    def write(records: list[Any]) -> None:
        real(records)
        writes.done(name)

    return write


@contextmanager
def crashing_index(index: SearchIndex, writes: Writes) -> Iterator[SearchIndex]:
    """The real index, its record writes counted by `writes` for the length of the block."""
    names = ("index_reuses", "index_documents")
    for name in names:
        setattr(index, name, _counted(getattr(index, name), name, writes))
    try:
        yield index
    finally:
        for name in names:
            delattr(index, name)


def _reuse(store: ObjectStore, index: SearchIndex, code: str, doc_id: str, writes: Writes) -> None:
    with crashing_index(index, writes):
        reuse_document(CrashingStore(store, writes), index, code, doc_id, by="officer")  # type: ignore[arg-type]


def _dossier(store: ObjectStore, index: SearchIndex) -> str:
    new = NewDossier(
        agency="000.00.11.H29",
        procedure_code="1.001193",
        procedure_name="Đăng ký thường trú",
        applicant=Applicant(id_number=CITIZEN, name="Nguyễn Văn An"),
    )
    return create_dossier(store, index, new, by="officer").code


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Document:
    """One small generated page, read once for the whole module: the citizen's document."""
    tmp = tmp_path_factory.mktemp("card")
    path = tmp / "cc.png"
    make_page(seed=51, lines=4).image.save(path, dpi=(300, 300))
    meta = IngestMeta(name=path.name, owner_id=CITIZEN, doc_type="can-cuoc")
    store, index = FilesystemStore(tmp / "store"), SqliteIndex(tmp / "index.sqlite3")
    return ingest_file(path, store=store, index=index, meta=meta, executor=InlineExecutor()).document


@pytest.fixture
def card(store: ObjectStore, index: SearchIndex, ingested: Document) -> Document:
    """The ingested document's record in this test's store and index (reuse reads nothing else of it)."""
    write_manifest(store, keys.document_manifest(ingested.id), ingested)
    index.index_pages(page_records(ingested))
    assert isinstance(index, RecordIndex)
    index.index_documents([document_record(ingested)])
    return ingested


def _stored_events(store: ObjectStore) -> list[ReuseEvent]:
    return [ReuseEvent.model_validate_json(store.get_bytes(k)) for k in store.list(keys.REUSE_EVENTS_PREFIX)]


def _markers(store: ObjectStore, doc_id: str) -> list[ReuseEvent]:
    prefix = keys.reuse_marker(doc_id, "0").rsplit("/", 1)[0] + "/"
    return [ReuseEvent.model_validate_json(store.get_bytes(k)) for k in store.list(prefix)]


def assert_reused_once(store: ObjectStore, index: SearchIndex, doc_id: str, codes: list[str]) -> None:
    """Each dossier in `codes` has exactly one link and one event for the document; counts agree everywhere.

    Read straight from storage (markers, events, links listed as keys), never through the repair path."""
    markers = {m.dossier_code: m for m in _markers(store, doc_id)}
    events = _stored_events(store)
    assert sorted(markers) == sorted(codes)
    assert sorted(e.dossier_code for e in events) == sorted(codes), "one event per reuse, no more"
    for event in events:
        mark = markers[event.dossier_code]
        # The event is the marker's own: same id and time, filed under the day it was made.
        assert event == mark
        day = event.at.astimezone(LOCAL_TZ).date().isoformat()
        assert store.exists(keys.reuse_event(day, event.id))
        (link,) = [link for link in load_dossier(store, event.dossier_code).links if link.doc_id == doc_id]
        assert link.kind is LinkKind.REUSED and link.at == event.at
    assert isinstance(index, RecordIndex)
    (summary,) = [d for d in index.owner_documents(CITIZEN) if d.doc_id == doc_id]
    assert summary.reuse_count == len(events)
    days = sorted(e.at.astimezone(LOCAL_TZ).date() for e in events)
    if days:
        assert index.digitization_counts(days[0], days[-1]).reuses == len(events)


def _crash_at_each_write(
    store: ObjectStore, index: SearchIndex, card: Document, recover: Callable[[str], None]
) -> None:
    # A subscriber to reuses, so that the outbox's announcement is one of the writes a crash can follow.
    hook = NewSubscription(url="http://127.0.0.1:9/hook", kinds=[EventKind.REUSED])
    add_subscription(store, hook, by="admin", allow_private=True)
    reused = [_dossier(store, index)]
    writes = Writes()
    _reuse(store, index, reused[0], card.id, writes)
    total = len(writes.log)
    # The marker first, then 5 more (the event, the outbox's announcement of it, the link, the index).
    assert total == 6 and "/reused-by/" in writes.log[0], writes.log
    for n in range(1, total + 1):
        code = _dossier(store, index)
        with pytest.raises(Crash):
            _reuse(store, index, code, card.id, Writes(crash_after=n))
        # Whatever the crash point, a link the dossier shows already has its event: the link is written last.
        shown = [link for link in load_dossier(store, code).links if link.doc_id == card.id]
        logged = [e for e in _stored_events(store) if e.dossier_code == code]
        assert len(shown) <= len(logged), f"crash after write {n}: a link without its event"
        recover(code)
        reused.append(code)
        assert_reused_once(store, index, card.id, reused)


def test_a_retry_after_a_crash_at_any_write_finishes_the_one_reuse(
    store: ObjectStore, index: SearchIndex, card: Document
) -> None:
    def retry(code: str) -> None:
        again = reuse_document(store, index, code, card.id, by="officer")
        assert again == next(m for m in _markers(store, card.id) if m.dossier_code == code)

    _crash_at_each_write(store, index, card, retry)


def test_reading_the_count_after_a_crash_at_any_write_repairs_the_reuse(
    store: ObjectStore, index: SearchIndex, card: Document
) -> None:
    def read(code: str) -> None:
        assert reuse_count(store, card.id) == len(_markers(store, card.id))
        reindex(store, index)  # the index is rebuilt from storage alone, which now agrees with itself

    _crash_at_each_write(store, index, card, read)


def test_a_reindex_alone_after_a_crash_at_any_write_finishes_the_reuse(
    store: ObjectStore, index: SearchIndex, card: Document
) -> None:
    _crash_at_each_write(store, index, card, lambda _code: reindex(store, index))


def test_a_reuse_finished_the_next_day_is_logged_on_the_day_it_was_made(
    store: ObjectStore, index: SearchIndex, card: Document
) -> None:
    code = _dossier(store, index)
    with pytest.raises(Crash):
        _reuse(store, index, code, card.id, Writes(crash_after=1))
    # As if the crash had happened late yesterday: the marker is what was decided then.
    marker_key = keys.reuse_marker(card.id, code)
    (mark,) = _markers(store, card.id)
    yesterday = datetime.now(LOCAL_TZ).replace(hour=23, minute=58) - timedelta(days=1)
    mark = mark.model_copy(update={"at": yesterday})
    store.put_bytes(marker_key, mark.model_dump_json().encode(), content_type="application/json")

    event = reuse_document(store, index, code, card.id, by="someone-else")
    assert event == mark and event.by == "officer"
    assert list(store.list(keys.REUSE_EVENTS_PREFIX)) == [
        keys.reuse_event(yesterday.date().isoformat(), mark.id)
    ]
    assert_reused_once(store, index, card.id, [code])


def test_concurrent_reuses_and_retries_of_one_pair_are_one_reuse(
    store: ObjectStore, index: SearchIndex, card: Document
) -> None:
    fresh, crashed = _dossier(store, index), _dossier(store, index)
    with pytest.raises(Crash):
        _reuse(store, index, crashed, card.id, Writes(crash_after=1))
    with ThreadPoolExecutor(6) as pool:
        events = list(
            pool.map(
                lambda code: reuse_document(store, index, code, card.id, by="officer"), [fresh, crashed] * 4
            )
        )
    assert len({e.id for e in events if e.dossier_code == fresh}) == 1
    assert len({e.id for e in events if e.dossier_code == crashed}) == 1
    assert_reused_once(store, index, card.id, [fresh, crashed])
