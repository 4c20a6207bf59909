"""What an operator reads with the `sohoa` command is on the audit trail, as what the API serves is."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

from sohoa.records.access import AuditAction, AuditEvent
from sohoa.samples.scangen import make_page
from sohoa.storage.filesystem import FilesystemStore

SOHOA = str(Path(sys.executable).parent / "sohoa")
OWNER = "079195000001"


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1", "COLUMNS": "200"}
    return subprocess.run([SOHOA, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


def _trail(data: Path) -> list[AuditEvent]:
    store = FilesystemStore(data / "store")
    events = [AuditEvent.model_validate_json(store.get_bytes(k)) for k in store.list("audit/")]
    return sorted(events, key=lambda e: e.at)


def test_show_search_reuse_and_verify_are_recorded_as_the_operator(tmp_path: Path) -> None:
    data = tmp_path / "data"
    scan = tmp_path / "page.png"
    make_page(seed=3, lines=6).image.save(scan, dpi=(300, 300))
    r = run("ingest", str(scan), "--owner", OWNER, data=data)
    assert r.returncode == 0, r.stderr
    doc_id = r.stdout.split()[0]
    assert _trail(data) == []  # ingest is not a read

    for args in (
        ("show", doc_id),
        ("search", "ho so", "--owner", OWNER),
        ("reuse", OWNER),
        ("verify", doc_id),
    ):
        r = run(*args, data=data)
        assert r.returncode == 0, (args, r.stderr)
    r = run("show", "0123456789abcdef01234567", data=data)
    assert r.returncode == 3

    trail = _trail(data)
    assert {e.actor for e in trail} == {f"cli:{getpass.getuser()}"}
    seen = [(e.route, e.action, e.record, e.status) for e in trail]
    assert seen == [
        ("cli show", AuditAction.VIEW, doc_id, 200),
        ("cli search", AuditAction.SEARCH, OWNER, 200),
        ("cli reuse", AuditAction.VIEW, OWNER, 200),
        ("cli verify", AuditAction.VIEW, doc_id, 200),
        ("cli show", AuditAction.VIEW, "0123456789abcdef01234567", 404),
    ]
    assert trail[1].detail["q"] == "ho so"
