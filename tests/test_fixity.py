"""`sohoa fixity` reads back every object the document records name and checks its sha256: a byte flipped in
a stored master (on disk, past sohoa) is a mismatch with the hashes expected and found, a deleted page image
is missing, both exit 5; a clean archive exits 0 with its counts and throughput; --prefix and --since limit
the run; --resume goes on after the checkpoint an interrupted run left, without reading the first documents
again; objects no record names are orphans, not errors; each run is an audit event; bad options exit 2.
On the filesystem store and on MinIO (clean, missing, mismatch)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from damage import damage
from sohoa.api.cli import app as cli
from sohoa.archive.fixity import run_fixity
from sohoa.archive.fixity_report import CHECKPOINT_KEY
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import AuditEvent
from sohoa.records.basics import today
from sohoa.records.models import Document
from sohoa.samples.scangen import make_page
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore

OWNER = "001089012345"
PER_DOCUMENT = 5  # manifest, master, page image, page words, searchable PDF (one page each)


def _ingest(store: ObjectStore, index: SqliteIndex, paths: list[Path]) -> list[Document]:
    return [
        ingest_file(
            path,
            store=store,
            index=index,
            meta=IngestMeta(name=path.name, owner_id=OWNER, by="staff"),
            executor=InlineExecutor(),
        ).document
        for path in paths
    ]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("fixity-pages")
    paths = []
    for i in range(3):
        path = out / f"page-{i}.png"
        make_page(seed=300 + i, size="A5", lines=3).image.save(path, dpi=(300, 300))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, pages: list[Path]) -> tuple[Path, list[Document]]:
    """Three one-page documents on a filesystem store, ingested once (OCR is what takes time) and copied
    into each filesystem test."""
    root = tmp_path_factory.mktemp("fixity-template")
    index = SqliteIndex(root / "index.sqlite3")
    docs = _ingest(FilesystemStore(root / "store"), index, pages)
    index.close()
    return root, sorted(docs, key=lambda d: d.id)


@dataclass
class Archive:
    store: ObjectStore
    docs: list[Document]  # in id order: the order fixity goes through them
    env: dict[str, str]  # what the CLI needs to open the same store and index

    def fixity(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["fixity", *args], env=self.env)

    def report(self, *args: str) -> tuple[int, dict]:
        result = self.fixity("--json", *args)
        assert result.exit_code in (0, 5), result.output
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def archive(
    request: pytest.FixtureRequest,
    store: ObjectStore,
    tmp_path: Path,
    pages: list[Path],
    template: tuple[Path, list[Document]],
) -> Archive:
    """Documents in the `store` under test; the CLI's settings point at the same store and index."""
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_WORKERS": "1"}
    if isinstance(store, FilesystemStore):
        root, docs = template
        shutil.copytree(root, tmp_path, dirs_exist_ok=True)
        return Archive(store, docs, env)
    assert isinstance(store, MinioStore)
    services = request.getfixturevalue("services")
    env.update(
        SOHOA_STORAGE="minio",
        SOHOA_MINIO_ENDPOINT=store.endpoint,
        SOHOA_MINIO_BUCKET=store.bucket,
        SOHOA_MINIO_ACCESS_KEY=services["SOHOA_MINIO_ACCESS_KEY"],
        SOHOA_MINIO_SECRET_KEY=services["SOHOA_MINIO_SECRET_KEY"],
        SOHOA_MINIO_RETENTION_DAYS="1",
    )
    index = SqliteIndex(tmp_path / "index.sqlite3")
    docs = _ingest(store, index, pages[:2])
    index.close()
    return Archive(store, sorted(docs, key=lambda d: d.id), env)


def flip_a_byte(store: ObjectStore, key: str) -> str:
    """Change one byte of the stored object past sohoa, keeping its recorded sha256; answers the sha256 of
    the damaged bytes."""
    return hashlib.sha256(damage(store, key)).hexdigest()


def fixity_events(store: ObjectStore) -> list[AuditEvent]:
    events = [AuditEvent.model_validate_json(store.get_bytes(k)) for k in store.list("audit/")]
    return [e for e in events if e.action == "fixity"]


def test_a_clean_archive_exits_0_with_its_counts_and_the_run_is_audited(archive: Archive) -> None:
    result = archive.fixity()
    assert result.exit_code == 0, result.output
    assert "objects/s" in result.stdout and "MB/s" in result.stdout
    code, report = archive.report()
    n = len(archive.docs)
    assert code == 0
    assert report["clean"] and report["complete"]
    assert (report["documents"], report["objects"]) == (n, n * PER_DOCUMENT)
    assert report["bytes"] >= sum(d.master_size for d in archive.docs)
    assert report["mismatches"] == report["missing"] == report["orphans"] == []
    events = fixity_events(archive.store)
    assert len(events) == 2
    assert events[-1].status == 200 and events[-1].actor.startswith("cli:")
    assert events[-1].detail["objects"] == str(n * PER_DOCUMENT)


def test_a_flipped_byte_in_a_stored_master_is_a_mismatch(archive: Archive) -> None:
    doc = archive.docs[0]
    found = flip_a_byte(archive.store, doc.master_key)
    result = archive.fixity()
    assert result.exit_code == 5, result.output
    assert doc.master_key in result.stdout
    code, report = archive.report()
    assert code == 5
    assert report["mismatches"] == [{"key": doc.master_key, "expected": doc.master_sha256, "found": found}]
    assert report["missing"] == []
    assert report["objects"] == len(archive.docs) * PER_DOCUMENT  # the others were read all the same
    event = fixity_events(archive.store)[-1]
    assert event.status == 500 and doc.master_key in event.detail["damaged"]


def test_a_deleted_page_image_is_missing(archive: Archive) -> None:
    doc = archive.docs[-1]
    key = doc.pages[0].image_key
    archive.store.delete(key)
    result = archive.fixity()
    assert result.exit_code == 5, result.output
    assert key in result.stdout
    _, report = archive.report()
    assert [f["key"] for f in report["missing"]] == [key]
    assert report["missing"][0]["found"] == ""
    assert report["mismatches"] == []


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_bytes_gone_from_under_a_record_are_missing_with_the_sha256_expected(archive: Archive) -> None:
    assert isinstance(archive.store, FilesystemStore)
    doc = archive.docs[0]
    archive.store._blob_path(doc.master_sha256).unlink()
    code, report = archive.report()
    assert code == 5
    assert report["missing"] == [{"key": doc.master_key, "expected": doc.master_sha256, "found": ""}]


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_prefix_limits_the_run_to_keys_under_it(archive: Archive) -> None:
    first, second = archive.docs[0], archive.docs[1]
    flip_a_byte(archive.store, second.pages[0].words_key)
    code, report = archive.report("--prefix", f"documents/{first.id}")
    assert code == 0
    assert (report["documents"], report["objects"]) == (1, PER_DOCUMENT)
    code, report = archive.report("--prefix", f"documents/{second.id}/pages/")
    assert code == 5
    assert [f["key"] for f in report["mismatches"]] == [second.pages[0].words_key]
    assert report["objects"] == 1 + 2  # its manifest, read to know what it names, and the page's two objects
    assert report["orphans"] == []


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_resume_goes_on_after_the_checkpoint_and_not_over_the_first_documents(archive: Archive) -> None:
    first, *rest = archive.docs
    result = archive.fixity("--checkpoint-every", "1", "--stop-after", "1")
    assert result.exit_code == 0, result.output
    assert "--resume" in result.stdout
    checkpoint = json.loads(archive.store.get_bytes(CHECKPOINT_KEY))
    assert (checkpoint["last_doc"], checkpoint["complete"], checkpoint["documents"]) == (first.id, False, 1)
    # Damage done to the first document now is not found by the resumed run: it does not read it again.
    flip_a_byte(archive.store, first.master_key)
    code, report = archive.report("--resume")
    assert code == 0
    assert report["resumed_after"] == first.id and report["complete"]
    assert report["documents"] == len(archive.docs)  # the whole run's, both parts
    assert report["part_objects"] == len(rest) * PER_DOCUMENT  # read in this part: only the rest
    # Nothing left to resume: --resume then starts a run from the beginning, which finds the damage.
    code, report = archive.report("--resume")
    assert code == 5 and report["resumed_after"] is None
    assert [f["key"] for f in report["mismatches"]] == [first.master_key]


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_objects_no_record_names_are_orphans_not_errors(archive: Archive) -> None:
    stray_doc = "f" * 24
    left = [f"documents/{stray_doc}/master/{'0' * 64}.png", f"documents/{archive.docs[0].id}/pages/9.jpg"]
    for key in left:
        archive.store.put_bytes(key, b"left by a crashed ingest")
    code, report = archive.report()
    assert code == 0 and report["clean"]
    assert sorted(report["orphans"]) == sorted(left)
    assert report["documents"] == len(archive.docs)


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_since_checks_only_documents_stored_or_changed_since_that_day(archive: Archive) -> None:
    flip_a_byte(archive.store, archive.docs[0].master_key)
    code, report = archive.report("--since", (today() + timedelta(days=1)).isoformat())
    assert (code, report["documents"]) == (0, 0)
    code, report = archive.report("--since", today().isoformat())
    assert (code, report["documents"]) == (5, len(archive.docs))


@pytest.mark.parametrize("store", ["fs"], indirect=True)
@pytest.mark.parametrize(
    "args",
    [
        ["--since", "2025-13-01"],
        ["--since", "hôm qua"],
        ["--prefix", "batches/"],
        ["--checkpoint-every", "0"],
    ],
)
def test_bad_options_exit_2_and_check_nothing(archive: Archive, args: list[str]) -> None:
    result = archive.fixity(*args)
    assert result.exit_code == 2, result.output
    assert not archive.store.exists(CHECKPOINT_KEY)
    assert fixity_events(archive.store) == []


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_resume_with_other_options_than_the_interrupted_run_is_refused(archive: Archive) -> None:
    assert archive.fixity("--stop-after", "1").exit_code == 0
    result = archive.fixity("--resume", "--prefix", f"documents/{archive.docs[1].id}")
    assert result.exit_code == 2
    assert "interrupted run was for other options" in result.output


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_run_fixity_tells_its_progress_and_names_its_caller(archive: Archive, tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    seen: list[tuple[int, int]] = []
    report = run_fixity(archive.store, index, progress=lambda done, total: seen.append((done, total)))
    index.close()
    n = len(archive.docs)
    assert report.clean and seen == [(i, n) for i in range(1, n + 1)]
    assert fixity_events(archive.store)[-1].actor == "system:fixity"


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_a_master_is_checked_against_the_sha256_its_record_names(archive: Archive) -> None:
    """Bytes intact as the store recorded them, but not the master the document names: a mismatch."""
    doc = archive.docs[0]
    manifest = f"documents/{doc.id}/manifest.json"
    record = json.loads(archive.store.get_bytes(manifest))
    record["master_sha256"] = "0" * 64
    archive.store.put_bytes(manifest, json.dumps(record).encode(), content_type="application/json")
    code, report = archive.report()
    assert code == 5
    assert report["mismatches"] == [{"key": doc.master_key, "expected": "0" * 64, "found": doc.master_sha256}]


@pytest.mark.parametrize("store", ["fs"], indirect=True)
def test_a_manifest_that_is_not_a_record_is_unreadable_and_its_objects_are_not_orphans(
    archive: Archive,
) -> None:
    doc = archive.docs[1]
    archive.store.put_bytes(
        f"documents/{doc.id}/manifest.json", b"{not json", content_type="application/json"
    )
    result = archive.fixity()
    assert result.exit_code == 5, result.output
    _, report = archive.report()
    assert [f["key"] for f in report["unreadable"]] == [f"documents/{doc.id}/manifest.json"]
    assert report["orphans"] == [] and report["documents"] == len(archive.docs)
