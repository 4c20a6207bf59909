"""Build the store, the index and the executor that the settings ask for; the only place that chooses."""

from __future__ import annotations

from dataclasses import dataclass, field

from sohoa.api.settings import Settings
from sohoa.ingest.executor import Executor, LocalProcessExecutor
from sohoa.ingest.sniff import Limits
from sohoa.ocr.pipeline import OcrOptions
from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
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
        )
    return FilesystemStore(settings.store_dir)


def make_index(settings: Settings) -> SearchIndex:
    if settings.search == "elasticsearch":
        from sohoa.search.elastic import ElasticIndex

        return ElasticIndex(settings.es_url, index=settings.es_index)
    return SqliteIndex(settings.index_path)


def make_backends(settings: Settings) -> Backends:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    return Backends(
        settings=settings,
        store=make_store(settings),
        index=make_index(settings),
        executor=LocalProcessExecutor(settings.workers),
        limits=Limits(max_pixels=settings.max_pixels, max_pages=settings.max_pages, dpi=settings.dpi),
        options=OcrOptions(lang=settings.ocr_lang),
    )
