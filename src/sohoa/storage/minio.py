"""MinioStore: the production backend, MinIO (or any S3 server with versioning and object lock).

Two buckets: `<bucket>` with versioning for everything, and `<bucket>-locked` created with object lock and a
default retention, for what must never change or vanish (signed results' masters, audit events). The sha256
of each object travels as user metadata and is checked on every full read, against the metadata the GET
answered with (that of the very version served, so an object rewritten meanwhile is never taken for damage).
A version is the object's ETag; `replace_bytes` is a PUT with `If-Match` on it, which the server refuses
(412) when another write came first. Connection errors are retried
with backoff by the HTTP pool; a server that stays unreachable gives StorageUnavailable with its address.
Every call to the client goes through `_translated`, the one table from the client's errors to sohoa's.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, GOVERNANCE, CopySource
from minio.error import MinioException
from minio.objectlockconfig import DAYS, ObjectLockConfig
from minio.versioningconfig import VersioningConfig
from urllib3.exceptions import HTTPError as Urllib3Error

from sohoa.storage.base import (
    IntegrityError,
    ObjectExists,
    ObjectInfo,
    ObjectLocked,
    ObjectNotFound,
    VersionConflict,
    check_key,
)
from sohoa.storage.fixity import sha256_file
from sohoa.storage.minio_errors import no_quorum, translated
from sohoa.storage.minio_lifecycle import work_expiry
from sohoa.storage.minio_quorum import has_write_quorum

T = TypeVar("T")
_CHUNK = 1024 * 1024
_SHA_META = "sha256"
# Multipart part size for streamed uploads: files are sent in 16 MiB parts, never held whole in memory.
_PART_SIZE = 16 * 1024 * 1024


def _info(key: str, headers: Any) -> ObjectInfo:
    """What a GET's headers say of the version it serves."""
    return ObjectInfo(
        key=key,
        size=int(headers.get("Content-Length") or 0),
        sha256=headers.get(f"x-amz-meta-{_SHA_META}") or "",
        content_type=headers.get("Content-Type") or "",
    )


class MinioStore:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        bucket: str = "sohoa",
        secure: bool = False,
        retention_days: int = 3650,
        retention_mode: str = GOVERNANCE,
        retries: int = 4,
        public_endpoint: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        # Where people's browsers reach MinIO (a proxy's name), if not at `endpoint`: presigned URLs name it.
        self.public_endpoint = public_endpoint
        self._keys, self._secure = (access_key, secret_key), secure
        self.bucket = bucket
        self.locked_bucket = f"{bucket}-locked"
        http = urllib3.PoolManager(
            # A request for an object whose lock a dead node held waits until MinIO expires that lock,
            # one to two minutes; the balancer in front of a cluster waits as long (deploy/cluster.sh).
            timeout=urllib3.Timeout(connect=5, read=180),
            # A busy or failing server is retried with short backoff, not after the two minutes its
            # Retry-After asks (a person is waiting on an upload); the last answer is then read as the
            # server's own error (raise_on_status=False), so its code says what is wrong.
            retries=urllib3.Retry(
                total=retries,
                backoff_factor=0.3,
                # Not 504: a balancer that waited its whole timeout for a node would only wait again.
                status_forcelist=(500, 502, 503),
                allowed_methods=None,
                respect_retry_after_header=False,
                raise_on_status=False,
            ),
            maxsize=16,
        )
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, http_client=http
        )
        self._http, self._base_url = http, f"{'https' if secure else 'http'}://{endpoint}"
        self._call("", self._ensure_buckets, retention_days, retention_mode)

    def __repr__(self) -> str:
        return f"MinioStore({self.endpoint!r}, bucket={self.bucket!r})"

    @contextmanager
    def _translated(self, key: str = "") -> Iterator[None]:
        """The client's errors as sohoa's (storage.minio_errors), for every call to the client."""
        try:
            yield
        except (MinioException, Urllib3Error, ConnectionError, OSError) as exc:
            raise translated(exc, self.endpoint, key) from exc

    def _call(self, key: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._translated(key):
            return fn(*args, **kwargs)

    def _write(self, key: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A call that writes: refused at once when the set has lost its write quorum (storage.minio_quorum),
        with the error the server itself gives then, rather than held until the object's lock times out."""
        if not has_write_quorum(self._http, self._base_url):
            raise no_quorum(self.endpoint)
        return self._call(key, fn, *args, **kwargs)

    def _chunks(self, key: str, response: Any) -> Iterator[bytes]:
        # Only the network's errors are translated: the caller's own (writing each chunk) stay as they are.
        with self._translated(key):
            yield from response.stream(_CHUNK)

    def _sha256_of(self, key: str, response: Any, sink: Callable[[bytes], object] | None = None) -> str:
        """The sha256 of an open GET's body, streamed (each chunk also to `sink`); the response is closed."""
        digest = hashlib.sha256()
        try:
            for chunk in self._chunks(key, response):
                digest.update(chunk)
                if sink is not None:
                    sink(chunk)
        finally:
            response.close()
            response.release_conn()
        return digest.hexdigest()

    def _ensure_buckets(self, retention_days: int, retention_mode: str) -> None:
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)
            self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            self.client.set_bucket_lifecycle(self.bucket, work_expiry())
        if not self.client.bucket_exists(self.locked_bucket):
            self.client.make_bucket(self.locked_bucket, object_lock=True)  # also turns versioning on
            self.client.set_object_lock_config(
                self.locked_bucket, ObjectLockConfig(retention_mode, retention_days, DAYS)
            )

    # writing

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        sha = hashlib.sha256(data).hexdigest()
        return self._put(key, io.BytesIO(data), len(data), sha, content_type, locked)

    def create_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        check_key(key)
        sha = hashlib.sha256(data).hexdigest()
        bucket = self.locked_bucket if locked else self.bucket
        other = self.bucket if locked else self.locked_bucket
        if self._stat_in(other, key) is not None:
            raise ObjectExists(key)
        headers = {
            "Content-Type": content_type,
            f"x-amz-meta-{_SHA_META}": sha,
            "If-None-Match": "*",  # S3 conditional write: the server refuses if the key exists
        }
        try:
            # The public put_object turns every header it does not know into user metadata, so the
            # conditional header is sent through the client's single-request PutObject.
            self._write(key, self.client._put_object, bucket, key, data, headers=headers)
        except VersionConflict as exc:
            raise ObjectExists(key) from exc
        return ObjectInfo(key=key, size=len(data), sha256=sha, content_type=content_type)

    def replace_bytes(
        self, key: str, data: bytes, *, if_version: str, content_type: str = "application/octet-stream"
    ) -> str:
        check_key(key)
        if self._locked_stat(key) is not None:
            raise ObjectLocked(key)
        headers = {
            "Content-Type": content_type,
            f"x-amz-meta-{_SHA_META}": hashlib.sha256(data).hexdigest(),
            "If-Match": f'"{if_version}"',  # the server compares and writes as one step
        }
        result = self._write(key, self.client._put_object, self.bucket, key, data, headers=headers)
        return (result.etag or "").strip('"')

    def put_file(
        self, key: str, path: Path, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        path = Path(path)
        sha = sha256_file(path)
        with path.open("rb") as f:
            return self._put(key, f, path.stat().st_size, sha, content_type, locked)

    def _put(
        self, key: str, data: BinaryIO, size: int, sha: str, content_type: str, locked: bool
    ) -> ObjectInfo:
        check_key(key)
        if self._locked_stat(key) is not None:
            raise ObjectLocked(key)
        bucket = self.locked_bucket if locked else self.bucket
        self._write(
            key,
            self.client.put_object,
            bucket,
            key,
            data,
            size,
            content_type=content_type,
            metadata={_SHA_META: sha},
            part_size=_PART_SIZE,
        )
        return ObjectInfo(key=key, size=size, sha256=sha, content_type=content_type)

    def copy(self, src_key: str, dst_key: str, *, locked: bool = False) -> ObjectInfo:
        """See ObjectStore.copy: a server-side CopyObject of the version just looked at, its user metadata
        (the sha256) and content type carried over. Objects up to 5 GiB (one CopyObject), far above a page."""
        check_key(dst_key)
        bucket, info = self._locate(src_key)
        if self._locked_stat(dst_key) is not None:
            raise ObjectLocked(dst_key)
        version = self._call(src_key, self.client.stat_object, bucket, src_key).version_id
        target = self.locked_bucket if locked else self.bucket
        # A source removed between the look and the copy comes out as ObjectNotFound(src_key).
        self._write(
            src_key, self.client.copy_object, target, dst_key, CopySource(bucket, src_key, version_id=version)
        )
        return ObjectInfo(key=dst_key, size=info.size, sha256=info.sha256, content_type=info.content_type)

    # reading

    def _stat_in(self, bucket: str, key: str) -> ObjectInfo | None:
        try:
            obj = self._call(key, self.client.stat_object, bucket, key)
        except ObjectNotFound:
            return None
        meta = {k.lower(): v for k, v in (obj.metadata or {}).items()}
        sha = meta.get(f"x-amz-meta-{_SHA_META}", "")
        return ObjectInfo(key=key, size=obj.size or 0, sha256=sha, content_type=obj.content_type or "")

    def _locked_stat(self, key: str) -> ObjectInfo | None:
        return self._stat_in(self.locked_bucket, key)

    def _locate(self, key: str) -> tuple[str, ObjectInfo]:
        check_key(key)
        for bucket in (self.bucket, self.locked_bucket):
            info = self._stat_in(bucket, key)
            if info is not None:
                return bucket, info
        raise ObjectNotFound(key)

    def stat(self, key: str) -> ObjectInfo:
        return self._locate(key)[1]

    def exists(self, key: str) -> bool:
        try:
            self._locate(key)
        except ObjectNotFound:
            return False
        return True

    def _open(self, key: str) -> Any:
        """The GET of the object's current version, open: its headers describe the version its body is."""
        check_key(key)
        for bucket in (self.bucket, self.locked_bucket):
            try:
                return self._call(key, self.client.get_object, bucket, key)
            except ObjectNotFound:
                continue
        raise ObjectNotFound(key)

    def digest(self, key: str) -> tuple[ObjectInfo, str]:
        response = self._open(key)  # the headers and the body of one version: a rewrite is not damage
        return _info(key, response.headers), self._sha256_of(key, response)

    def get_bytes(self, key: str) -> bytes:
        return self.read_versioned(key)[0]

    def read_versioned(self, key: str) -> tuple[bytes, str]:
        response = self._open(key)
        try:
            info, etag = _info(key, response.headers), response.headers.get("ETag") or ""
            data = self._call(key, response.read)
        finally:
            response.close()
            response.release_conn()
        if hashlib.sha256(data).hexdigest() != info.sha256:
            raise IntegrityError(key)
        return data, etag.strip('"')

    def download(self, key: str, path: Path) -> ObjectInfo:
        path = Path(path)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                response = self._open(key)
                info = _info(key, response.headers)
                found = self._sha256_of(key, response, out.write)
            if found != info.sha256:
                raise IntegrityError(key)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return info

    def restore_file(self, key: str, path: Path) -> str | None:
        """See ObjectStore.restore_file. Both buckets are versioned (the locked one under object lock, which
        allows a new version and forbids removing the old): the good bytes become the current version and the
        damaged one stays, retained, as evidence."""
        bucket, info = self._locate(key)
        version = self._call(key, self.client.stat_object, bucket, key).version_id
        response = self._call(key, self.client.get_object, bucket, key, version_id=version)
        if self._sha256_of(key, response) == info.sha256:
            return None
        path = Path(path)
        if sha256_file(path) != info.sha256:
            raise ObjectLocked(key, "restore")
        with path.open("rb") as f:
            self._write(
                key,
                self.client.put_object,
                bucket,
                key,
                f,
                path.stat().st_size,
                content_type=info.content_type,
                metadata={_SHA_META: info.sha256},
                part_size=_PART_SIZE,
            )
        return f"{bucket}/{key}?versionId={version}"

    def list(self, prefix: str = "") -> Iterator[str]:
        names: set[str] = set()
        for bucket in (self.bucket, self.locked_bucket):
            objects = self._call(
                prefix, self.client.list_objects, bucket, prefix=prefix or None, recursive=True
            )
            names.update(o.object_name for o in self._call(prefix, list, objects) if not o.is_dir)
        return iter(sorted(names))

    def delete(self, key: str) -> None:
        check_key(key)
        if self._locked_stat(key) is not None:
            raise ObjectLocked(key, "delete")
        self._write(key, self.client.remove_object, self.bucket, key)

    def presigned_url(self, key: str, expires: timedelta = timedelta(minutes=5)) -> str:
        """A short-lived download link that needs no credentials, naming the public endpoint when one is
        set (the signature covers the host, so the URL is signed for that host, not rewritten)."""
        bucket, _ = self._locate(key)
        client = self.client
        if self.public_endpoint:
            secure, _, host = self.public_endpoint.rpartition("://")
            # Presigning is local work once the region is known; ask it of the reachable endpoint, since the
            # public name may not resolve from the server.
            region = self._call(key, self.client._get_region, bucket)
            access_key, secret_key = self._keys
            client = Minio(
                host.rstrip("/"),
                access_key=access_key,
                secret_key=secret_key,
                secure=secure == "https" if secure else self._secure,
                region=region,
            )
        return self._call(key, client.presigned_get_object, bucket, key, expires=expires)
