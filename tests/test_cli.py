"""The `sohoa` command as a person runs it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import jiwer
import pytest

from corpus import bad_files, write_sample_scans
from sohoa.api.settings import Settings
from sohoa.archive.accounts import authenticate, check_password
from sohoa.records.access import TokenKind
from sohoa.storage.filesystem import FilesystemStore

SOHOA = str(Path(sys.executable).parent / "sohoa")


def run(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "2", "COLUMNS": "200"}
    return subprocess.run([SOHOA, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("cli-scans")
    return out, write_sample_scans(out, seed=47)


def test_ingest_then_search_without_diacritics(scans: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, truth = scans
    with_hồ_sơ = [name for name, text in truth.items() if "hồ sơ" in text.lower()]
    assert with_hồ_sơ, "the generated pages must contain 'hồ sơ'"
    one = tmp_path / "in"
    one.mkdir()
    for name in ("page-00.png", "page-02.png", "two-pages.pdf", with_hồ_sơ[0]):
        shutil.copy(folder / name, one / name)
    r = run("ingest", str(one), "--owner", "079195000001", data=tmp_path / "data")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == len(list(one.iterdir()))
    r = run("search", "ho so", "--json", data=tmp_path / "data")
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)["hits"]
    assert hits
    assert any("hồ sơ" in h["snippet"].replace("<mark>", "").replace("</mark>", "").lower() for h in hits)
    doc_id = hits[0]["doc_id"]
    r = run("show", doc_id, data=tmp_path / "data")
    assert r.returncode == 0
    assert json.loads(r.stdout)["id"] == doc_id
    r = run("ingest", str(one / "page-00.png"), data=tmp_path / "data")
    assert "đã có / already stored" in r.stdout
    # The owner's documents, each with whether it can be reused.
    r = run("reuse", "079195000001", data=tmp_path / "data")
    assert r.returncode == 0, r.stderr
    assert doc_id in r.stdout and r.stdout.count("valid") >= len(list(one.iterdir()))
    r = run("reuse", "12345", data=tmp_path / "data")
    assert r.returncode == 2 and "12" in r.stderr


def test_bad_file_exits_2_with_a_bilingual_message(
    scans: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, _ = scans
    bad = bad_files(tmp_path / "bad", folder / "two-pages.pdf")
    for path, _code in bad.values():
        r = run("ingest", str(path), data=tmp_path / "data")
        assert r.returncode == 2, (path, r.stderr)
        assert " / " in r.stderr
    # Nothing stored but each refusal's job, failed with the message the person was given.
    store = FilesystemStore(tmp_path / "data" / "store")
    assert {key.split("/", 1)[0] for key in store.list("")} <= {"jobs", "audit"}
    jobs = [json.loads(store.get_bytes(k)) for k in store.list("jobs/")]
    assert len(jobs) == len(bad) and all(j["state"] == "failed" and " / " in j["errors"][0] for j in jobs)


def test_show_unknown_document_exits_3(tmp_path: Path) -> None:
    r = run("show", "0123456789abcdef01234567", data=tmp_path)
    assert r.returncode == 3
    assert "not found" in r.stderr


def test_ocr_writes_nfc_text_per_image(scans: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    folder, truth = scans
    images = [folder / "page-01.png", folder / "page-03.png"]
    r = run("ocr", *map(str, images), "--out", str(tmp_path / "out"), data=tmp_path / "data")
    assert r.returncode == 0, r.stderr
    for image in images:
        text = (tmp_path / "out" / f"{image.stem}.txt").read_text(encoding="utf-8")
        assert unicodedata.is_normalized("NFC", text)
        assert jiwer.cer(" ".join(truth[image.name].split()), " ".join(text.split())) < 0.05


def test_ocr_missing_file(tmp_path: Path) -> None:
    r = run("ocr", str(tmp_path / "nope.png"), "--out", str(tmp_path / "out"), data=tmp_path)
    assert r.returncode == 2


def test_users_add_token_list_revoke_disable(tmp_path: Path) -> None:
    data = tmp_path / "data"

    def users(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "SOHOA_DATA_DIR": str(data), "COLUMNS": "200"}
        return subprocess.run(
            [SOHOA, "users", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
        )

    added = users(
        "add",
        "lan",
        "--role",
        "officer",
        "--agency",
        "000.00.11.H29",
        "--password-stdin",
        stdin="mat-khau-dai-du\n",
    )
    assert added.returncode == 0, added.stderr
    no_agency = users("add", "binh", "--role", "officer")
    assert no_agency.returncode == 2 and "agency" in no_agency.stderr.lower()
    short = users("passwd", "lan", "--password-stdin", stdin="ngan\n")
    assert short.returncode == 2 and "10" in short.stderr
    assert users("add", "lan", "--role", "admin").returncode != 0  # a name is taken once
    assert users("token", "nobody").returncode == 3

    issued = users("token", "lan", "--days", "1")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    store = FilesystemStore(Settings(data_dir=data).store_dir)
    found = authenticate(store, token, kind=TokenKind.API)
    assert found is not None and found[0].username == "lan" and found[0].agency == "000.00.11.H29"
    assert check_password(store, "lan", "mat-khau-dai-du") is not None
    listed = users("list")
    assert "lan" in listed.stdout and "officer" in listed.stdout and "binh" not in listed.stdout

    credential_id = token.split("_")[1]
    assert users("revoke-token", credential_id).returncode == 0
    assert authenticate(store, token, kind=TokenKind.API) is None
    assert users("revoke-token", "0" * 16).returncode == 3
    assert users("disable", "lan").returncode == 0
    assert check_password(store, "lan", "mat-khau-dai-du") is None
