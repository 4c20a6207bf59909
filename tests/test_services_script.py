"""deploy/services.sh never deletes data unless asked by name: `up` after a crash of one server starts it
again on the same data and credentials, `down` keeps the data, `down --wipe` deletes it.

Runs a second MinIO and Elasticsearch of its own (other ports, another run directory), so the servers the
rest of the suite uses are never touched; the one it kills is killed for real (SIGKILL)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SERVICES, _parse_exports
from sohoa.storage.minio import MinioStore


def _run(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SERVICES), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


@pytest.fixture
def own_services(services: dict[str, str]) -> Iterator[tuple[dict[str, str], Path]]:
    # Under /tmp itself: Elasticsearch runs as its own user and must reach the run directory.
    run_dir = Path(tempfile.mkdtemp(prefix="sohoa-services-test-", dir="/tmp"))
    run_dir.chmod(0o755)
    shutil.rmtree(run_dir)  # `up` makes it, as on a fresh machine
    env = {
        **os.environ,
        "SOHOA_RUN_DIR": str(run_dir),
        "SOHOA_MINIO_PORT": "9310",
        "SOHOA_MINIO_CONSOLE_PORT": "9311",
        "SOHOA_ES_PORT": "9320",
        "SOHOA_ES_HEAP": "256m",
        "SOHOA_REDIS_PORT": "9330",
    }
    try:
        yield env, run_dir
    finally:
        _run(env, "down", "--wipe")
        shutil.rmtree(run_dir, ignore_errors=True)
        Path(f"{run_dir}.lock").unlink(missing_ok=True)


def _store(exports: dict[str, str]) -> MinioStore:
    return MinioStore(
        exports["SOHOA_MINIO_ENDPOINT"],
        exports["SOHOA_MINIO_ACCESS_KEY"],
        exports["SOHOA_MINIO_SECRET_KEY"],
        bucket="kept",
        retention_days=1,
    )


def _redis(exports: dict[str, str], *command: str) -> str:
    password = exports["SOHOA_REDIS_PASSWORD"]
    result = subprocess.run(
        ["redis-cli", "-p", "9330", *command],
        env={**os.environ, "REDISCLI_AUTH": password},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def test_up_after_a_crash_keeps_data_and_credentials_and_only_wipe_deletes(
    own_services: tuple[dict[str, str], Path],
) -> None:
    env, run_dir = own_services
    first = _run(env, "up")
    assert first.returncode == 0, first.stderr[-3000:]
    exports = _parse_exports(first.stdout)
    assert exports["SOHOA_MINIO_ENDPOINT"] == "127.0.0.1:9310"
    _store(exports).put_bytes("records/one.json", b'{"kept": true}')
    assert exports["SOHOA_BROKER_URL"] == f"redis://:{exports['SOHOA_REDIS_PASSWORD']}@127.0.0.1:9330/0"
    _redis(exports, "rpush", "queued", "task-1")
    # A second `up` while both answer returns at once (the suite runs one right after `make test`'s): the
    # servers started by the first must not have kept its lock.
    assert _parse_exports(_run(env, "up", timeout=60).stdout) == exports

    _kill(int((run_dir / "minio.pid").read_text()))
    _kill(int((run_dir / "redis.pid").read_text()))
    es_pid = (run_dir / "es.pid").read_text()

    again = _run(env, "up")
    assert again.returncode == 0, again.stderr[-3000:]
    assert _parse_exports(again.stdout) == exports  # the same credentials
    assert _store(exports).get_bytes("records/one.json") == b'{"kept": true}'
    assert _redis(exports, "lrange", "queued", "0", "-1") == "task-1"  # the broker's queue survived SIGKILL
    assert (run_dir / "es.pid").read_text() == es_pid  # the server still running was left alone

    down = _run(env, "down")
    assert down.returncode == 0 and "kept" in down.stderr
    assert (run_dir / "env").is_file() and (run_dir / "minio-data").is_dir()
    wipe = _run(env, "down", "--wipe")
    assert wipe.returncode == 0
    assert not run_dir.exists()
