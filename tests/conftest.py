"""Shared fixtures: each backend contract runs against every backend named here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.filesystem import FilesystemStore

STORE_BACKENDS = ["fs"]
INDEX_BACKENDS = ["sqlite"]


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FilesystemStore]:
    yield FilesystemStore(tmp_path / "store")


@pytest.fixture(params=INDEX_BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteIndex]:
    ix = SqliteIndex(tmp_path / "index.sqlite3")
    yield ix
    ix.close()
