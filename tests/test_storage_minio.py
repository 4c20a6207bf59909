"""What only the MinIO backend shows: object lock and versioning on real buckets, presigned links, and a
clear error when the server cannot be reached."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import pytest
from minio.commonconfig import ENABLED

from conftest import make_minio
from sohoa.errors import ServiceUnavailable
from sohoa.storage.minio import MinioStore


@pytest.fixture
def minio_store(services: dict[str, str]) -> MinioStore:
    store = make_minio(services)
    assert isinstance(store, MinioStore)
    return store


def test_buckets_have_versioning_and_object_lock(minio_store: MinioStore) -> None:
    client = minio_store.client
    assert client.get_bucket_versioning(minio_store.bucket).status == ENABLED
    lock = client.get_object_lock_config(minio_store.locked_bucket)
    assert lock.mode == "GOVERNANCE"
    assert (lock.duration, lock.duration_unit.upper()) == (1, "DAYS")


def test_locked_objects_get_retention(minio_store: MinioStore) -> None:
    minio_store.put_bytes("audit/2025/09/12/e1.json", b"{}", locked=True)
    retention = minio_store.client.get_object_retention(minio_store.locked_bucket, "audit/2025/09/12/e1.json")
    assert retention is not None and retention.mode == "GOVERNANCE"
    # Even the client library, bypassing sohoa, cannot remove the retained version.
    version = minio_store.client.stat_object(minio_store.locked_bucket, "audit/2025/09/12/e1.json").version_id
    with pytest.raises(Exception, match=r"(?i)retention|locked|WORM|AccessDenied"):
        minio_store.client.remove_object(
            minio_store.locked_bucket, "audit/2025/09/12/e1.json", version_id=version
        )


def test_presigned_url_downloads_without_credentials(minio_store: MinioStore) -> None:
    minio_store.put_bytes("documents/p/searchable.pdf", b"%PDF-1.7 test", content_type="application/pdf")
    url = minio_store.presigned_url("documents/p/searchable.pdf", timedelta(minutes=2))
    assert "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 test"


def test_unreachable_server_gives_a_clear_error() -> None:
    with pytest.raises(ServiceUnavailable, match=r"127\.0\.0\.1:9"):
        MinioStore("127.0.0.1:9", "x", "y", retries=1)


def test_files_in_transit_to_workers_expire_with_their_deleted_versions(minio_store: MinioStore) -> None:
    # The bucket is versioned: without the rule, every page sent to a Celery worker would stay as an old
    # version after the sender deleted it, and a crashed sender's work/ would stay for ever.
    config = minio_store.client.get_bucket_lifecycle(minio_store.bucket)
    assert config is not None
    [rule] = config.rules
    assert rule.rule_filter.prefix == "work/" and rule.status == ENABLED
    assert rule.expiration.days == 1 and rule.noncurrent_version_expiration.noncurrent_days == 1
