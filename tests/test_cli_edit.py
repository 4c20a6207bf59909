"""`sohoa edit` and `sohoa reuse --json` as an operator runs them (real processes), on the embedded pair and
on MinIO + Elasticsearch: a past --valid-until makes the owner's paper listed as not reusable because
expired; `sohoa show` says expired; the change is audited as `cli:<OS user>`; bad values exit 2 with a
message and change nothing."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sohoa.api.backends import make_backends
from sohoa.api.settings import Settings
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.models import DocumentKind
from sohoa.samples.scangen import make_page
from sohoa.search.records import AuditQuery, RecordIndex
from sohoa.storage import keys

SOHOA = str(Path(sys.executable).parent / "sohoa")
OWNER = "001203012345"


@pytest.fixture(params=["fs+sqlite", "minio+elasticsearch"])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The SOHOA_* settings of one backend pair, for the processes and for the test's own look."""
    values = {"SOHOA_DATA_DIR": str(tmp_path / "data"), "SOHOA_WORKERS": "1"}
    if request.param == "minio+elasticsearch":
        services = request.getfixturevalue("services")
        values |= {
            "SOHOA_STORAGE": "minio",
            "SOHOA_MINIO_ENDPOINT": services["SOHOA_MINIO_ENDPOINT"],
            "SOHOA_MINIO_ACCESS_KEY": services["SOHOA_MINIO_ACCESS_KEY"],
            "SOHOA_MINIO_SECRET_KEY": services["SOHOA_MINIO_SECRET_KEY"],
            "SOHOA_MINIO_BUCKET": f"t-{uuid.uuid4().hex[:16]}",
            "SOHOA_MINIO_RETENTION_DAYS": "1",
            "SOHOA_SEARCH": "elasticsearch",
            "SOHOA_ES_URL": services["SOHOA_ES_URL"],
            "SOHOA_ES_INDEX": f"sohoa-test-{uuid.uuid4().hex[:12]}",
        }
    yield values
    if request.param == "minio+elasticsearch":
        backends = make_backends(_settings(values))
        backends.index.drop()  # type: ignore[attr-defined]
        backends.close()


def _settings(values: dict[str, str]) -> Settings:
    return Settings(**{k.removeprefix("SOHOA_").lower(): v for k, v in values.items()})


def run(config: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **config, "COLUMNS": "200"}
    return subprocess.run([SOHOA, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_edit_with_a_past_valid_until_makes_reuse_list_it_expired(
    config: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "permit.png"
    make_page(seed=63, size="A5", lines=3).image.save(path, dpi=(300, 300))
    backends = make_backends(_settings(config))
    try:
        meta = IngestMeta(
            name=path.name,
            owner_id=OWNER,
            doc_type="giay-phep",
            kind=DocumentKind.RESULT,
            agency="000.00.11.H29",
        )
        doc_id = ingest_file(
            path, store=backends.store, index=backends.index, meta=meta, executor=InlineExecutor()
        ).document.id
    finally:
        backends.close()

    r = run(config, "reuse", OWNER, "--json")
    assert r.returncode == 0, r.stderr
    (before,) = json.loads(r.stdout)
    assert before["reuse"]["reusable"] is True and before["reuse"]["validity"] == "valid"

    r = run(config, "edit", doc_id, "--valid-until", "2020-12-31", "--number-symbol", "12/GP-UBND")
    assert r.returncode == 0, r.stderr
    assert "valid_until: — → 2020-12-31" in r.stdout and "expired" in r.stdout

    r = run(config, "reuse", OWNER, "--json")
    assert r.returncode == 0, r.stderr
    (listed,) = json.loads(r.stdout)
    assert listed["document"]["doc_id"] == doc_id and listed["document"]["valid_until"] == "2020-12-31"
    verdict = listed["reuse"]
    assert verdict["reusable"] is False and verdict["validity"] == "expired"
    assert verdict["reasons"][0]["code"] == "expired"
    assert verdict["reasons"][0]["vi"].startswith("Hết hiệu lực")

    r = run(config, "show", doc_id)
    shown = json.loads(r.stdout)
    assert shown["validity"] == "expired"
    operator = f"cli:{getpass.getuser()}"
    assert [(e["field"], e["new"], e["by"]) for e in shown["edits"]] == [
        ("valid_until", "2020-12-31", operator),
        ("number_symbol", "12/GP-UBND", operator),
    ]

    # Refused values: a clear message, exit 2, the record as it was.
    backends = make_backends(_settings(config))
    try:
        manifest = backends.store.get_bytes(keys.document_manifest(doc_id))
        for args, english in [
            (["--valid-from", "2021-01-01"], "before valid from"),
            (["--signed-on", "31/02/2020"], "not a date"),
            (["--number-symbol", "số năm"], "123/QĐ-UBND"),
            (["--type", "Giấy phép XD"], "slug"),
            ([], "nothing to change"),
        ]:
            r = run(config, "edit", doc_id, *args)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert english in r.stderr and "Lỗi" in r.stderr, (args, r.stderr)
            assert backends.store.get_bytes(keys.document_manifest(doc_id)) == manifest
        r = run(config, "edit", "0123456789abcdef01234567", "--title", "x")
        assert r.returncode == 3 and "not found" in r.stderr

        # The trail: one edit event, as the operator, with the old and the new values.
        assert isinstance(backends.index, RecordIndex)
        events = [
            e
            for e in backends.index.audit_events(AuditQuery(record=doc_id)).events
            if e.action.value == "edit"
        ]
        (event,) = events
        assert (event.actor, event.role.value if event.role else None) == (operator, "admin")
        assert event.detail == {
            "valid_until.old": "",
            "valid_until.new": "2020-12-31",
            "number_symbol.old": "",
            "number_symbol.new": "12/GP-UBND",
        }
    finally:
        backends.close()
