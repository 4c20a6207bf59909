"""Build the store, the index and the executor that the settings ask for; the only place that chooses."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509

from sohoa.api.limits import LoginThrottle
from sohoa.api.scratch import sweep
from sohoa.api.settings import Settings
from sohoa.ingest.context import IngestContext
from sohoa.ingest.executor import Executor, LocalProcessExecutor
from sohoa.ingest.sniff import Limits
from sohoa.ocr.options import OcrOptions
from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.signatures.anchors import load_trust_anchors
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore


@dataclass
class Backends:
    settings: Settings
    store: ObjectStore
    index: SearchIndex
    executor: Executor
    limits: Limits = field(default_factory=Limits)
    options: OcrOptions = field(default_factory=OcrOptions)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(5))
    trust_anchors: list[x509.Certificate] = field(default_factory=list)

    @property
    def ingest(self) -> IngestContext:
        """What the ingest pipeline works with, from these backends and settings: the one place it is
        made, for the API and the CLI alike."""
        return IngestContext(
            store=self.store,
            index=self.index,
            executor=self.executor,
            options=self.options,
            limits=self.limits,
            scratch_root=self.settings.scratch_dir,
            trust_anchors=tuple(self.trust_anchors),
        )

    def close(self) -> None:
        self.executor.close()
        self.index.close()


def make_store(settings: Settings) -> ObjectStore:
    if settings.storage == "minio":
        from sohoa.storage.minio import MinioStore

        return MinioStore(
            settings.minio_endpoint,
            settings.minio_access_key,
            settings.minio_secret_key.get_secret_value(),
            bucket=settings.minio_bucket,
            secure=settings.minio_secure,
            retention_days=settings.minio_retention_days,
            public_endpoint=settings.minio_public_endpoint,
        )
    return FilesystemStore(settings.store_dir)


def make_index(settings: Settings) -> SearchIndex:
    if settings.search == "elasticsearch":
        from sohoa.search.elastic import ElasticIndex

        return ElasticIndex(
            settings.es_hosts,
            index=settings.es_index,
            replicas=settings.es_replicas,
            shards=settings.es_shards,
        )
    return SqliteIndex(settings.index_path)


def load_secret(settings: Settings) -> bytes:
    """The server's signing key: from the settings, or kept in the data directory (made on first use),
    so links and CSRF tokens stay valid across restarts and across workers sharing the directory."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.data_dir / "secret.key"
    if path.exists():
        return path.read_bytes()
    # Written whole under another name, then linked in: a second process sees no key or the whole key.
    fd, tmp = tempfile.mkstemp(dir=settings.data_dir, prefix=".secret-")
    try:
        os.write(fd, secrets.token_bytes(32))
        os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        Path(tmp).unlink()
    return path.read_bytes()


def make_executor(settings: Settings, store: ObjectStore) -> Executor:
    """This machine's process pool, or Celery workers anywhere (`SOHOA_EXECUTOR=celery`)."""
    if settings.executor == "celery":
        from sohoa.api.worker import celery_app, queues
        from sohoa.ingest.celery_executor import CeleryExecutor

        return CeleryExecutor(
            celery_app(settings), store, queue=queues(settings)["ocr"], inflight=settings.tasks_in_flight
        )
    return LocalProcessExecutor(settings.workers)


def make_backends(settings: Settings) -> Backends:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # What a crashed process left in tmp/ goes at the next start (`sohoa serve`, any command).
    sweep(settings.scratch_root)
    settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    store = make_store(settings)
    return Backends(
        settings=settings,
        store=store,
        index=make_index(settings),
        executor=make_executor(settings, store),
        limits=Limits(
            max_pixels=settings.max_pixels,
            max_pages=settings.max_pages,
            dpi=settings.dpi,
            parse_seconds=settings.parse_seconds,
        ),
        options=OcrOptions(lang=settings.ocr_lang, ocr_dpi=settings.ocr_dpi or None),
        secret=load_secret(settings),
        throttle=LoginThrottle(settings.login_attempts),
        trust_anchors=load_trust_anchors(settings.trust_anchors) if settings.trust_anchors else [],
    )
