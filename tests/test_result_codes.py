"""Result codes for every document type (Vietnamese letters included), codes of any spelling as object keys,
and a commit that fails half-way: nothing visible, and a retry reuses what was written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from sohoa.archive.documents import load_document
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.codes import result_code
from sohoa.records.digitization import Step
from sohoa.records.doctypes import DOC_TYPES, type_code
from sohoa.records.models import DocumentKind
from sohoa.samples.scangen import make_page
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage import keys
from sohoa.storage.base import ObjectInfo, ObjectStore, check_key

OWNER = "001203012345"

CODES = [
    "QĐ.001203012345",
    "ĐN.001203012345.2",
    "000.00.11.H29-250912-0007",
    "HS/2025/Đà Nẵng",
    ".leading",
    "two..dots",
    "trailing.",
    "tilde~7E",
    "Q~C4~90.1",
    "-dash",
    "日本",
]


@pytest.mark.parametrize("code", CODES)
def test_any_code_is_a_safe_key_segment_and_comes_back(code: str) -> None:
    segment = keys.code_segment(code)
    assert check_key(f"result-codes/{segment}.json")
    assert "/" not in segment and ".." not in segment
    assert keys.code_of_segment(segment) == code


def test_key_segments_are_one_to_one_and_plain_codes_keep_their_spelling() -> None:
    segments = [keys.code_segment(c) for c in CODES]
    assert len(set(segments)) == len(CODES)
    # Keys written before the escaping existed still name the same dossiers.
    assert (
        keys.dossier_manifest("000.00.11.H29-250912-0007")
        == "dossiers/000.00.11.H29-250912-0007/manifest.json"
    )


@pytest.mark.parametrize("slug", [t.slug for t in DOC_TYPES] + ["giấy-báo-tử", "đơn xin nghỉ", "", "123"])
def test_every_type_gives_a_result_code_that_can_be_kept(slug: str) -> None:
    code = result_code(type_code(slug), OWNER)
    assert code.endswith(f".{OWNER}")
    assert check_key(keys.result_code_claim(code))


def test_unknown_types_take_the_initials_of_their_words() -> None:
    assert type_code("giấy-báo-tử") == "GBT"
    assert type_code("đơn xin nghỉ") == "ĐXN"
    assert type_code("quyet-dinh") == "QĐ"
    assert type_code("") == "KHAC"


def _scan(tmp_path: Path, name: str, seed: int) -> Path:
    path = tmp_path / name
    make_page(seed=seed, lines=6).image.save(path, dpi=(300, 300))
    return path


def _ingest(store: ObjectStore, index: SqliteIndex, path: Path, doc_type: str) -> object:
    return ingest_file(
        path,
        store=store,
        index=index,
        meta=IngestMeta(name=path.name, kind=DocumentKind.RESULT, doc_type=doc_type, owner_id=OWNER),
        executor=InlineExecutor(),
    ).document


def test_a_quyet_dinh_and_a_don_de_nghi_get_their_codes(store: ObjectStore, tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    first = _ingest(store, index, _scan(tmp_path, "qd1.png", 1), "quyet-dinh")
    second = _ingest(store, index, _scan(tmp_path, "qd2.png", 2), "quyet-dinh")
    request = _ingest(store, index, _scan(tmp_path, "dn.png", 3), "don-de-nghi")
    assert first.result_code == f"QĐ.{OWNER}"
    assert second.result_code == f"QĐ.{OWNER}.2"
    assert request.result_code == f"ĐN.{OWNER}"
    assert [h.step for h in first.history] == [Step.COPY, Step.EXTRACT, Step.CODE, Step.STORE]
    assert load_document(store, first.id).result_code == f"QĐ.{OWNER}"
    claims = sorted(store.list("result-codes/"))
    assert claims == sorted(
        keys.result_code_claim(c) for c in (first.result_code, second.result_code, request.result_code)
    )
    index.close()


class CrashAfter:
    """The real store, which stops answering after `writes` writes: a process dying between two writes."""

    def __init__(self, store: ObjectStore, writes: int) -> None:
        self._store = store
        self.left = writes

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def _write(self) -> None:
        if self.left == 0:
            raise ConnectionError("crash point")
        self.left -= 1

    def put_bytes(self, *args: object, **kwargs: object) -> ObjectInfo:
        self._write()
        return self._store.put_bytes(*args, **kwargs)

    def put_file(self, *args: object, **kwargs: object) -> ObjectInfo:
        self._write()
        return self._store.put_file(*args, **kwargs)

    def create_bytes(self, *args: object, **kwargs: object) -> ObjectInfo:
        self._write()
        return self._store.create_bytes(*args, **kwargs)


def test_a_commit_that_fails_after_the_master_leaves_nothing_visible_and_a_retry_reuses_it(
    store: ObjectStore, tmp_path: Path
) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    scan = _scan(tmp_path, "qd.png", 4)
    # Write 1 is the master; the crash comes at the page image after it.
    with pytest.raises(ConnectionError):
        _ingest(CrashAfter(store, 1), index, scan, "quyet-dinh")  # type: ignore[arg-type]
    written = list(store.list(""))
    assert len(written) == 1 and "/master/" in written[0]
    assert not list(store.list("by-sha256/")) and not [k for k in written if k.endswith("manifest.json")]

    # Crash again later, at the manifest (the result code is claimed by then), then retry to the end.
    with pytest.raises(ConnectionError):
        _ingest(CrashAfter(store, 5), index, scan, "quyet-dinh")  # type: ignore[arg-type]
    assert not list(store.list("by-sha256/"))
    document = _ingest(store, index, scan, "quyet-dinh")
    assert document.result_code == f"QĐ.{OWNER}"  # the claim made before the crash, not ".2"

    clean = tmp_path / "clean"
    clean.mkdir()
    from sohoa.storage.filesystem import FilesystemStore

    reference = FilesystemStore(clean / "store")
    _ingest(reference, SqliteIndex(clean / "index.sqlite3"), scan, "quyet-dinh")

    # The same keys, announcements included (one of each event: its id comes from the document); their
    # keys start with the time the run made the record, which two runs cannot share.
    def shape(found: Iterable[str]) -> list[str]:
        return sorted(re.sub(r"^outbox/\d{8}T\d+Z-", "outbox/", k) for k in found)

    assert shape(store.list("")) == shape(reference.list(""))
    index.close()


def test_sohoa_ingest_of_a_quyet_dinh_then_show_gives_its_code(tmp_path: Path) -> None:
    scan = _scan(tmp_path, "quyet-dinh.png", 5)
    env = {**os.environ, "SOHOA_DATA_DIR": str(tmp_path / "data"), "SOHOA_WORKERS": "1"}
    cli = [sys.executable, "-c", "from sohoa.api.cli import main; main()"]
    run = subprocess.run(
        [*cli, "ingest", str(scan), "--kind", "result", "--type", "quyet-dinh", "--owner", OWNER],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    doc_id = run.stdout.split()[0]
    shown = subprocess.run(
        [*cli, "show", doc_id], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert f'"result_code": "QĐ.{OWNER}"' in shown.stdout
