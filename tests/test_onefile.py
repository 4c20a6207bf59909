"""One failure stops one file; a stored file missing from the index is indexed when brought again; scratch
folders of dead processes are swept at the next start. Real stores, indexes, Tesseract and processes: a
service failure is a real store wrapped so that one document's writes raise StorageUnavailable."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import sohoa.api.cli as cli_module
from conftest import Pair
from sohoa.api.backends import Backends, make_backends
from sohoa.api.settings import Settings
from sohoa.archive.holdings import doc_id_for
from sohoa.ingest.pipeline import IngestMeta, ingest_file
from sohoa.samples.scangen import make_page
from sohoa.search.base import SearchQuery
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore, StorageUnavailable
from sohoa.storage.fixity import sha256_file


def _pages(folder: Path, count: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"{n}-page.png"
        make_page(seed=seed + n, lines=2, header=False).image.save(path, dpi=(300, 300))
        paths.append(path)
    return paths


class DownFor:
    """A real store that cannot be reached for one document's keys (its storage "went away" while that
    file was written); every other write goes through."""

    def __init__(self, inner: ObjectStore, doc_id: str) -> None:
        self.inner, self.doc_id = inner, doc_id

    def _check(self, key: str) -> None:
        if self.doc_id in key:
            raise StorageUnavailable("Không kết nối được kho lưu trữ", "the storage cannot be reached")

    def put_file(self, key: str, *args: Any, **kwargs: Any) -> Any:
        self._check(key)
        return self.inner.put_file(key, *args, **kwargs)

    def put_bytes(self, key: str, *args: Any, **kwargs: Any) -> Any:
        self._check(key)
        return self.inner.put_bytes(key, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_service_failure_on_one_file_stops_only_that_file(
    store: ObjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, d = _pages(tmp_path / "in", 4, seed=301)
    empty = tmp_path / "in" / "2-empty.png"
    empty.write_bytes(b"")
    broken = doc_id_for(sha256_file(b))
    made: list[Backends] = []

    def backends() -> Backends:
        real = make_backends(Settings())
        real.store = DownFor(store, broken)  # type: ignore[assignment]
        made.append(real)
        return real

    monkeypatch.setattr(cli_module, "_backends", backends)
    env = {"SOHOA_DATA_DIR": str(tmp_path / "data"), "SOHOA_WORKERS": "1", "COLUMNS": "200"}
    r = CliRunner().invoke(cli_module.app, ["ingest", str(tmp_path / "in")], env=env)
    # The worst outcome sets the exit code: a service failure (4) over a refused file (2).
    assert r.exit_code == 4, r.output
    stored = [line for line in r.stdout.splitlines() if "mới / new" in line]
    assert len(stored) == 3 and all(any(line.endswith(str(p)) for line in stored) for p in (a, c, d))
    assert f"{b}: thất bại / failed:" in r.stderr and "the storage cannot be reached" in r.stderr
    assert f"{empty}: bị từ chối / refused:" in r.stderr
    for path in (a, c, d):
        assert store.exists(keys.by_sha256(sha256_file(path)))
    assert not store.exists(keys.by_sha256(sha256_file(b)))


def _cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "2", "COLUMNS": "200"}
    sohoa = str(Path(sys.executable).parent / "sohoa")
    return subprocess.run([sohoa, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


def test_a_bad_file_among_good_ones_is_reported_and_the_good_ones_stored(tmp_path: Path) -> None:
    good, other = _pages(tmp_path / "in", 2, seed=311)
    corrupt = tmp_path / "in" / "0b-corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    r = _cli("ingest", str(tmp_path / "in"), data=tmp_path / "data")
    assert r.returncode == 2, r.stderr
    assert sum("mới / new" in line for line in r.stdout.splitlines()) == 2
    assert str(good) in r.stdout and str(other) in r.stdout
    assert f"{corrupt}: bị từ chối / refused:" in r.stderr and " / " in r.stderr


def test_a_stored_file_missing_from_the_index_is_indexed_when_brought_again(
    pair: Pair, tmp_path: Path
) -> None:
    (scan,) = _pages(tmp_path / "in", 1, seed=321)
    first = ingest_file(scan, store=pair.store, index=pair.index, meta=IngestMeta(name="a.png"))
    words = [w for w in first.document.pages[0].text.split() if w.isalpha() and len(w) > 3]
    assert words, first.document.pages[0].text
    query = SearchQuery(text=words[0])
    assert pair.index.search(query).total >= 1
    pair.index.delete_document(first.document.id)
    assert pair.index.search(query).total == 0
    again = ingest_file(scan, store=pair.store, index=pair.index, meta=IngestMeta(name="a.png"))
    assert not again.created and again.document.id == first.document.id
    hits = pair.index.search(query).hits
    assert [h.doc_id for h in hits] == [first.document.id]


_OWN = "import sys, time; from pathlib import Path; from sohoa.api.scratch import own_scratch; "


def _process_with_scratch(root: Path, then: str) -> tuple[subprocess.Popen[str], Path]:
    """A real process that makes its scratch folder (a file in it), prints it, then does `then`."""
    code = (
        _OWN + f"f = own_scratch(Path({str(root)!r})); (f / 'page.png').write_bytes(b'x'); "
        f"print(f, flush=True); {then}"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def test_scratch_of_a_dead_process_is_swept_at_start_and_a_live_ones_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    root = settings.scratch_root
    dead, dead_folder = _process_with_scratch(root, "import os; os.kill(os.getpid(), 9)")
    dead.wait(timeout=60)
    live, live_folder = _process_with_scratch(root, "time.sleep(120)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        old_loose = root / "sohoa-0123abcd-x"  # left by a version that wrote straight into tmp/
        old_loose.mkdir()
        (old_loose / "p1.png").write_bytes(b"x")
        an_hour_ago = time.time() - 3600
        os.utime(old_loose, (an_hour_ago, an_hour_ago))
        assert (dead_folder / "page.png").exists() and (live_folder / "page.png").exists()
        backends = make_backends(settings)
        try:
            assert not dead_folder.exists() and not old_loose.exists()
            assert (live_folder / "page.png").exists()  # its process is alive: never touched
            own = settings.scratch_dir
            assert own.parent == root and own.exists() and own != live_folder
        finally:
            backends.close()
    finally:
        live.kill()
        live.wait(timeout=60)
    make_backends(settings).close()  # the next start: the live one has died meanwhile
    assert not live_folder.exists()
