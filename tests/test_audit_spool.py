"""A look at a citizen's paper while the store takes no writes (an erasure set that lost its write quorum:
tests/test_cluster.py does it to real MinIO nodes) is still answered and still on the trail: the event waits
on the server's disk (archive.audit_spool) and goes into the store, and the admins' index, once the store
takes writes again. A failure that is not the store being unavailable still withholds the answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from people import make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.cli import app as cli
from sohoa.api.settings import Settings
from sohoa.archive.audit_spool import flush_spool, spool_dir, spooled
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.samples.scangen import make_page
from sohoa.search.records import AuditQuery
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import StorageError, StorageUnavailable
from sohoa.storage.filesystem import FilesystemStore


class NoWrites(FilesystemStore):
    """A real store whose writes of audit events fail, as a store without write quorum answers them."""

    refuse: type[StorageError] | None = None

    def create_bytes(self, key: str, data: bytes, **kwargs: object):
        if self.refuse is not None and key.startswith(keys.AUDIT_PREFIX):
            raise self.refuse("Kho tạm không ghi được", "the store takes no writes now")
        return super().create_bytes(key, data, **kwargs)


@pytest.fixture
def world(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    # Where the CLI's own settings find them too (`sohoa catch-up` below).
    store, index = NoWrites(settings.store_dir), SqliteIndex(settings.index_path)
    people = make_people(store)
    page = tmp_path / "page.png"
    make_page(seed=811, size="A5", lines=3).image.save(page, dpi=(300, 300))
    meta = IngestMeta(name=page.name, owner_id="001089012345", agency="000.00.11.H29")
    doc = ingest_file(page, store=store, index=index, meta=meta, executor=InlineExecutor()).document
    client = TestClient(create_app(settings, backends=Backends(settings, store, index, InlineExecutor())))
    client.headers.update(people["staff"].headers)
    with client:
        yield client, store, index, settings, doc.id
    index.close()


def _events(store: FilesystemStore) -> set[str]:
    return set(store.list(keys.AUDIT_PREFIX))


def test_a_read_while_the_store_takes_no_writes_is_answered_and_its_event_kept_then_stored(world) -> None:
    client, store, index, settings, doc_id = world
    before = _events(store)
    store.refuse = StorageUnavailable
    r = client.get(f"/api/v1/documents/{doc_id}")
    assert r.status_code == 200, r.text
    waiting = spooled(spool_dir(settings.data_dir))
    assert len(waiting) == 1 and _events(store) == before

    kept = waiting[0].read_bytes()
    with pytest.raises(StorageUnavailable):  # still refused: the catch-up round tries again later
        flush_spool(store, index, spool_dir(settings.data_dir))
    assert spooled(spool_dir(settings.data_dir)) == waiting

    store.refuse = None
    assert flush_spool(store, index, spool_dir(settings.data_dir)) == 1
    assert spooled(spool_dir(settings.data_dir)) == []
    (new,) = _events(store) - before
    assert new.endswith(f"{waiting[0].stem}.json")
    found = index.audit_events(AuditQuery(record=doc_id)).events
    assert waiting[0].stem in {e.id for e in found}
    # A second move of the same event (a round that died before removing its file) stores nothing twice.
    waiting[0].write_bytes(kept)
    assert flush_spool(store, index, spool_dir(settings.data_dir)) == 1
    assert _events(store) - before == {new} and spooled(spool_dir(settings.data_dir)) == []


def test_a_store_that_refuses_for_another_reason_still_withholds_the_answer(world) -> None:
    client, store, _index, settings, doc_id = world
    store.refuse = StorageError
    r = client.get(f"/api/v1/documents/{doc_id}")
    assert r.status_code == 503 and r.json()["type"].endswith("/audit_unavailable")
    assert spooled(spool_dir(settings.data_dir)) == []


def test_sohoa_catch_up_stores_what_this_data_folder_spooled(world) -> None:
    client, store, _index, settings, doc_id = world
    before = _events(store)
    store.refuse = StorageUnavailable
    assert client.get(f"/api/v1/documents/{doc_id}").status_code == 200
    (waiting,) = spooled(spool_dir(settings.data_dir))
    store.refuse = None
    r = CliRunner().invoke(cli, ["catch-up"], env={"SOHOA_DATA_DIR": str(settings.data_dir)})
    assert r.exit_code == 0, r.output
    assert "1 sự kiện nhật ký đã lưu / spooled audit events stored" in r.stdout
    assert spooled(spool_dir(settings.data_dir)) == []
    (new,) = _events(store) - before
    assert new.endswith(f"{waiting.stem}.json")
