"""Shared fixtures: each backend contract runs against every backend, real servers included.

MinIO and Elasticsearch are started by `deploy/services.sh up` (installed on first use, cached after). If
they cannot start, every test that needs them fails with the service's log: they are never skipped.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "deploy" / "services.sh"

STORE_BACKENDS = ["fs", "minio"]
INDEX_BACKENDS = ["sqlite", "elasticsearch"]


def _parse_exports(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """The running MinIO, Elasticsearch and Redis (started if needed); their addresses and credentials."""
    up = subprocess.run(
        ["bash", str(SERVICES), "up"], capture_output=True, text=True, timeout=1800, check=False
    )
    if up.returncode != 0:
        pytest.fail(f"deploy/services.sh up failed:\n{up.stdout[-4000:]}\n{up.stderr[-4000:]}", pytrace=False)
    env = subprocess.run(["bash", str(SERVICES), "env"], capture_output=True, text=True, check=True).stdout
    values = _parse_exports(env)
    for name in (
        "SOHOA_MINIO_ENDPOINT",
        "SOHOA_MINIO_ACCESS_KEY",
        "SOHOA_MINIO_SECRET_KEY",
        "SOHOA_ES_URL",
        "SOHOA_BROKER_URL",
    ):
        if not values.get(name):
            pytest.fail(f"deploy/services.sh env did not give {name}:\n{env}", pytrace=False)
    return values


def make_minio(services: dict[str, str], bucket: str | None = None) -> ObjectStore:
    from sohoa.storage.minio import MinioStore

    return MinioStore(
        services["SOHOA_MINIO_ENDPOINT"],
        services["SOHOA_MINIO_ACCESS_KEY"],
        services["SOHOA_MINIO_SECRET_KEY"],
        bucket=bucket or f"t-{uuid.uuid4().hex[:16]}",
        retention_days=1,
    )


def make_elastic(services: dict[str, str], name: str | None = None) -> SearchIndex:
    from sohoa.search.elastic import ElasticIndex

    return ElasticIndex(services["SOHOA_ES_URL"], index=name or f"sohoa-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "fs":
        yield FilesystemStore(tmp_path / "store")
    else:
        yield make_minio(request.getfixturevalue("services"))


@pytest.fixture(params=INDEX_BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    if request.param == "sqlite":
        ix: SearchIndex = SqliteIndex(tmp_path / "index.sqlite3")
    else:
        ix = make_elastic(request.getfixturevalue("services"))
    yield ix
    if request.param == "elasticsearch":
        ix.drop()  # type: ignore[attr-defined]
    ix.close()


@dataclass
class Pair:
    """A backend pair as sohoa runs on it: the embedded one or the production one."""

    store: ObjectStore
    index: SearchIndex


@pytest.fixture(params=["fs+sqlite", "minio+elasticsearch"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    """The embedded pair (filesystem + SQLite) and the production pair (MinIO + Elasticsearch)."""
    if request.param == "fs+sqlite":
        sqlite = SqliteIndex(tmp_path / "index.sqlite3")
        yield Pair(FilesystemStore(tmp_path / "store"), sqlite)
        sqlite.close()
        return
    services = request.getfixturevalue("services")
    elastic = make_elastic(services)
    yield Pair(make_minio(services), elastic)
    elastic.drop()  # type: ignore[attr-defined]


_METRICS: dict[str, str] = {}


@pytest.fixture(scope="session")
def metrics() -> dict[str, str]:
    """Figures the tests measure (error rates, timings), printed at the end of the run."""
    return _METRICS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _METRICS:
        terminalreporter.section("measured")
        for name, value in _METRICS.items():
            terminalreporter.write_line(f"{name}: {value}")


VERAPDF = ROOT / "deploy" / "verapdf.sh"


def validate_pdfa(paths: list[Path]) -> dict[str, list[str]]:
    """veraPDF's PDF/A-2b verdict per file, one JVM for all: file → failed rules (none when compliant)."""
    import xml.etree.ElementTree as ET

    run = subprocess.run(
        ["bash", str(VERAPDF), *map(str, paths)], capture_output=True, text=True, timeout=600, check=False
    )
    if not run.stdout.strip():
        pytest.fail(f"veraPDF did not run:\n{run.stderr[-3000:]}", pytrace=False)
    verdicts: dict[str, list[str]] = {}
    for job in ET.fromstring(run.stdout).iter("job"):
        name = job.findtext("item/name") or ""
        report = job.find("validationReport")
        if report is None:
            verdicts[name] = [f"not validated: {job.findtext('taskException/exceptionMessage') or 'unknown'}"]
            continue
        failed = [
            f"{rule.get('clause')}-{rule.get('testNumber')}: {rule.findtext('description')}"
            for rule in report.iter("rule")
            if rule.get("status") == "failed"
        ]
        verdicts[name] = [] if report.get("isCompliant") == "true" else failed or ["not compliant"]
    missing = {str(p) for p in paths} - set(verdicts)
    assert not missing, f"veraPDF gave no verdict on {missing}"
    return verdicts


@pytest.fixture(params=["local", "celery"])
def reader(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[Path], dict[str, str]]]:
    """The environment of a `sohoa` process on a data folder (the test's `data`, for the Celery workers),
    whose pages are read by its own process pool, or by two Celery worker processes (`sohoa worker`) on
    the same machine and data folder."""
    if request.param == "local":
        yield lambda data: {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "2", "COLUMNS": "200"}
        return
    from celery_workers import celery_env, start_worker

    env = celery_env(request.getfixturevalue("services"))
    data = tmp_path / "data"
    workers = [start_worker(env, tmp_path / f"worker-{n}", data=data) for n in (1, 2)]
    try:
        yield lambda folder: {**env, "SOHOA_DATA_DIR": str(folder)}
    finally:
        for worker in workers:
            worker.stop()
