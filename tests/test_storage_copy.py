"""A copy done by the store itself (ObjectStore.copy), on every backend, and cutting a stack into documents
with it: a page read in a batch reaches its document without its image going up to the store again."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from sohoa.ingest.batches import run_batch
from sohoa.ingest.executor import InlineExecutor
from sohoa.samples.scangen import make_page, write_pdf
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import ObjectLocked, ObjectNotFound, ObjectStore, keys

AGENCY = "000.00.11.H29"


def test_a_copy_has_the_same_bytes_and_leaves_its_source_alone(store: ObjectStore) -> None:
    data = "trang 1 của hồ sơ".encode()
    source = store.put_bytes("batches/b1/pages/1.jpg", data, content_type="image/jpeg")
    copied = store.copy("batches/b1/pages/1.jpg", "documents/d1/pages/1.jpg")
    assert copied.sha256 == source.sha256 == hashlib.sha256(data).hexdigest()
    assert store.get_bytes("documents/d1/pages/1.jpg") == data
    stat = store.stat("documents/d1/pages/1.jpg")
    assert (stat.sha256, stat.size, stat.content_type) == (source.sha256, len(data), "image/jpeg")
    assert store.get_bytes("batches/b1/pages/1.jpg") == data  # the source unchanged
    assert store.stat("batches/b1/pages/1.jpg") == source
    # A derivative copied is a derivative still: it can be replaced and deleted like any.
    store.put_bytes("documents/d1/pages/1.jpg", b"again", content_type="image/jpeg")
    assert store.get_bytes("batches/b1/pages/1.jpg") == data


def test_a_missing_source_is_not_found_and_writes_nothing(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.copy("batches/none/pages/1.jpg", "documents/d2/pages/1.jpg")
    assert not store.exists("documents/d2/pages/1.jpg")


def test_a_copy_onto_a_locked_key_is_refused_like_a_put(store: ObjectStore) -> None:
    store.put_bytes("documents/d3/master/x.pdf", b"%PDF master", content_type="application/pdf", locked=True)
    store.put_bytes("batches/b3/sources/1.pdf", b"%PDF other", content_type="application/pdf")
    with pytest.raises(ObjectLocked):
        store.put_bytes("documents/d3/master/x.pdf", b"%PDF other")
    with pytest.raises(ObjectLocked):
        store.copy("batches/b3/sources/1.pdf", "documents/d3/master/x.pdf")
    assert store.get_bytes("documents/d3/master/x.pdf") == b"%PDF master"
    # And a copy made write-once is refused in its turn.
    store.copy("batches/b3/sources/1.pdf", "documents/d4/master/y.pdf", locked=True)
    with pytest.raises(ObjectLocked):
        store.put_bytes("documents/d4/master/y.pdf", b"%PDF replaced")
    assert store.get_bytes("documents/d4/master/y.pdf") == b"%PDF other"


class CountingStore:
    """A real store that notes the keys files are uploaded to."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.uploaded: list[str] = []

    def put_file(self, key: str, path: Path, **kw: Any) -> Any:
        self.uploaded.append(key)
        return self.inner.put_file(key, path, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_cutting_a_stack_copies_its_page_images_on_the_server(store: ObjectStore, tmp_path: Path) -> None:
    stack = tmp_path / "stack.pdf"
    write_pdf([make_page(seed=91, size="A5", lines=3).image], stack)
    counting: Any = CountingStore(store)
    index = SqliteIndex(tmp_path / "index.sqlite3")
    batch = run_batch([stack], store=counting, index=index, agency=AGENCY, executor=InlineExecutor())
    (group,) = batch.groups
    assert group.doc_id is not None
    image = keys.page_image(group.doc_id, 1)
    assert keys.batch_page_image(batch.id, 1) in counting.uploaded  # read once, uploaded once
    assert image not in counting.uploaded  # and then copied, not sent again
    assert store.stat(image).sha256 == store.stat(keys.batch_page_image(batch.id, 1)).sha256
    assert store.get_bytes(image) == store.get_bytes(keys.batch_page_image(batch.id, 1))
    index.close()
