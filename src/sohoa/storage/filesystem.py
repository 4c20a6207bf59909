"""FilesystemStore: the embedded default backend, a directory on local disk.

Layout under the root:
  blobs/ab/abcdef…   the bytes, content-addressed by sha256 (so the same master is on disk once)
  keys/<key>         a small JSON record {sha256, size, content_type, locked} naming the blob
  tmp/               partial writes, never visible under keys/
  locks/NN.lock      256 lock files; a key's record is written holding the one its hash picks

A write goes: stream into tmp/ while hashing → fsync → rename into blobs/ → write the key record into tmp/ →
rename over keys/<key>. Renames within one filesystem are atomic, so a reader sees the old object or the new
one, never a half-written file; a crash leaves at most an unreferenced blob or a stray file in tmp/.
A key's version is the sha256 its record names. `replace_bytes` (compare-and-swap) reads the record,
compares and renames while holding an exclusive flock on the key's lock file, and every other record write
takes the same lock, so of writers racing from threads or processes exactly one replaces a given version.
flock rather than a lock file made with O_EXCL: the kernel releases it when its holder dies, so a crash never
leaves a key locked; rather than a link()/rename() scheme: no rename compares before it replaces. Lock files
are striped by key hash so that they stay few; two keys sharing one only wait for each other's rename.
A blob found damaged when the same bytes are written again (or by `restore_file`, the way for locked
objects) is replaced, its damaged bytes first kept under a quarantine/ key as evidence.
Every public method goes through `_translated`, the one table from the disk's OSErrors to sohoa's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, ParamSpec, TypeVar

from sohoa import telemetry
from sohoa.storage.base import (
    IntegrityError,
    ObjectExists,
    ObjectInfo,
    ObjectLocked,
    ObjectNotFound,
    StorageUnavailable,
    VersionConflict,
    check_key,
)

_CHUNK = 1024 * 1024
P = ParamSpec("P")
T = TypeVar("T")
_FULL = {errno.ENOSPC, errno.EDQUOT}


def _translated(method: Callable[P, T]) -> Callable[P, T]:
    """The disk's errors as sohoa's: a full disk, or one that cannot be read or written (permissions, a
    read-only or failing filesystem). Paths stay out of the message: it may reach a person."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except OSError as exc:
            name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            telemetry.storage_error("filesystem", "unavailable")
            if exc.errno in _FULL:
                raise StorageUnavailable(
                    "Ổ đĩa của kho lưu trữ đã đầy", f"the disk of the object store is full ({name})"
                ) from exc
            raise StorageUnavailable(
                f"Không đọc hoặc ghi được ổ đĩa của kho lưu trữ ({name})",
                f"cannot read or write the disk of the object store ({name}: {exc.strerror or exc})",
            ) from exc

    return call


def _hashes_to(blob: Path, sha: str) -> bool:
    try:
        with blob.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest() == sha
    except FileNotFoundError:
        return False


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemStore:
    @_translated
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._blobs = self.root / "blobs"
        self._keys = self.root / "keys"
        self._tmp = self.root / "tmp"
        self._locks = self.root / "locks"
        for d in (self._blobs, self._keys, self._tmp, self._locks):
            d.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"FilesystemStore({str(self.root)!r})"

    # writing

    @_translated
    def put_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        return self._put_stream(key, io.BytesIO(data), content_type, locked)

    @_translated
    def create_bytes(
        self, key: str, data: bytes, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        check_key(key)
        if self._record_or_none(key) is not None:
            raise ObjectExists(key)
        return self._put_stream(key, io.BytesIO(data), content_type, locked, exclusive=True)

    @_translated
    def replace_bytes(
        self, key: str, data: bytes, *, if_version: str, content_type: str = "application/octet-stream"
    ) -> str:
        """See ObjectStore.replace_bytes; the version is compared again under the key's lock."""
        self._check_version(key, self._record_or_none(check_key(key)), if_version)  # before spooling
        return self._put_stream(key, io.BytesIO(data), content_type, False, if_version=if_version).sha256

    @staticmethod
    def _check_version(key: str, record: dict | None, version: str) -> None:
        if record is None:
            raise ObjectNotFound(key)
        if record.get("locked"):
            raise ObjectLocked(key)
        if record["sha256"] != version:
            raise VersionConflict(key)

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        stripe = hashlib.sha256(key.encode()).hexdigest()[:2]
        fd = os.open(self._locks / f"{stripe}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # separate open()s exclude each other, threads included
            yield
        finally:
            os.close(fd)  # releases the lock

    @_translated
    def put_file(
        self, key: str, path: Path, *, content_type: str = "application/octet-stream", locked: bool = False
    ) -> ObjectInfo:
        with Path(path).open("rb") as src:
            return self._put_stream(key, src, content_type, locked)

    def _put_stream(
        self,
        key: str,
        src: BinaryIO,
        content_type: str,
        locked: bool,
        *,
        exclusive: bool = False,
        if_version: str | None = None,
    ) -> ObjectInfo:
        check_key(key)
        self._refuse_if_locked(key)
        tmp_path, sha, size = self._spool(src)
        blob = self._blob_path(sha)
        if _hashes_to(blob, sha):
            tmp_path.unlink()
        else:
            # A blob already there but damaged is not trusted as the copy of these bytes: it is kept as
            # evidence and the good bytes just written take its place.
            self._replace_blob(key, blob, tmp_path, content_type)
        info = ObjectInfo(key=key, size=size, sha256=sha, content_type=content_type)
        self._write_record(key, info, locked, exclusive=exclusive, if_version=if_version)
        return info

    @_translated
    def copy(self, src_key: str, dst_key: str, *, locked: bool = False) -> ObjectInfo:
        """See ObjectStore.copy. Blobs are kept by content, so a copy is one more key record naming the same
        blob, written as every record is (atomic rename, under the key's lock)."""
        info = self.stat(src_key)
        check_key(dst_key)
        self._refuse_if_locked(dst_key)
        if not _hashes_to(self._blob_path(info.sha256), info.sha256):
            raise IntegrityError(src_key)  # damaged bytes are not given a second, trusting name
        copied = ObjectInfo(key=dst_key, size=info.size, sha256=info.sha256, content_type=info.content_type)
        self._write_record(dst_key, copied, locked)
        return copied

    def _spool(self, src: BinaryIO) -> tuple[Path, str, int]:
        """Copy `src` into tmp/ while hashing, fsynced: (the file, its sha256, its size)."""
        digest = hashlib.sha256()
        size = 0
        with tempfile.NamedTemporaryFile(dir=self._tmp, prefix="blob-", delete=False) as tmp:
            tmp_path = Path(tmp.name)
            try:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            except BaseException:
                tmp_path.unlink(missing_ok=True)
                raise
        return tmp_path, digest.hexdigest(), size

    @_translated
    def restore_file(self, key: str, path: Path) -> str | None:
        """See ObjectStore.restore_file. The key's record is right and its blob is damaged, so the blob is
        what is written back. The damaged bytes are first copied under a quarantine key of their own,
        `quarantine/<UTC time>/<key>`, locked, so they stay readable (as what they are) as evidence."""
        info = self.stat(key)
        blob = self._blob_path(info.sha256)
        if _hashes_to(blob, info.sha256):
            return None
        with Path(path).open("rb") as src:
            tmp_path, sha, _ = self._spool(src)
        if sha != info.sha256:
            tmp_path.unlink()
            raise ObjectLocked(key, "restore")
        return (
            self._replace_blob(key, blob, tmp_path, info.content_type) or "(the damaged bytes were missing)"
        )

    def _replace_blob(self, key: str, blob: Path, good: Path, content_type: str) -> str | None:
        """Move `good` (a spooled file) into `blob`'s place; bytes that were there are first kept under
        `quarantine/<UTC time>/<key>`, locked, and that key is returned."""
        evidence = None
        if blob.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            evidence = check_key(f"quarantine/{stamp}/{key}")
            with blob.open("rb") as damaged:
                self._put_stream(evidence, damaged, content_type, locked=True)
        blob.parent.mkdir(exist_ok=True)
        good.replace(blob)  # atomic: readers see the damaged blob or the good one
        _fsync_dir(blob.parent)
        return evidence

    def _write_record(
        self,
        key: str,
        info: ObjectInfo,
        locked: bool,
        *,
        exclusive: bool = False,
        if_version: str | None = None,
    ) -> None:
        record = {
            "sha256": info.sha256,
            "size": info.size,
            "content_type": info.content_type,
            "locked": locked,
        }
        target = self._keys / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=self._tmp, prefix="key-", delete=False) as tmp:
            json.dump(record, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        with self._lock(key):
            if exclusive:
                # link() fails if the target exists, atomically: of two racing writers exactly one wins.
                try:
                    os.link(tmp.name, target)
                except FileExistsError as exc:
                    raise ObjectExists(key) from exc
                finally:
                    Path(tmp.name).unlink()
            else:
                try:
                    if if_version is not None:
                        self._check_version(key, self._record_or_none(key), if_version)
                except BaseException:
                    Path(tmp.name).unlink()
                    raise
                Path(tmp.name).replace(target)
            _fsync_dir(target.parent)

    def _refuse_if_locked(self, key: str) -> None:
        record = self._record_or_none(key)
        if record is not None and record.get("locked"):
            raise ObjectLocked(key)

    # reading

    def _blob_path(self, sha: str) -> Path:
        return self._blobs / sha[:2] / sha

    def _record_or_none(self, key: str) -> dict | None:
        try:
            return json.loads((self._keys / key).read_text())
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def _record(self, key: str) -> dict:
        check_key(key)
        record = self._record_or_none(key)
        if record is None:
            raise ObjectNotFound(key)
        return record

    @_translated
    def stat(self, key: str) -> ObjectInfo:
        r = self._record(key)
        return ObjectInfo(key=key, size=r["size"], sha256=r["sha256"], content_type=r["content_type"])

    @_translated
    def digest(self, key: str) -> tuple[ObjectInfo, str]:
        info = self.stat(key)
        try:
            with self._blob_path(info.sha256).open("rb") as f:
                return info, hashlib.file_digest(f, "sha256").hexdigest()
        except FileNotFoundError:
            return info, ""

    @_translated
    def exists(self, key: str) -> bool:
        check_key(key)
        return self._record_or_none(key) is not None

    @_translated
    def get_bytes(self, key: str) -> bytes:
        return self.read_versioned(key)[0]

    @_translated
    def read_versioned(self, key: str) -> tuple[bytes, str]:
        # Blobs never change under a sha256, so the record read names the bytes read: no race to lose.
        info = self.stat(key)
        try:
            data = self._blob_path(info.sha256).read_bytes()
        except FileNotFoundError as exc:
            raise IntegrityError(key, "bytes missing") from exc
        if hashlib.sha256(data).hexdigest() != info.sha256:
            raise IntegrityError(key)
        return data, info.sha256

    @_translated
    def download(self, key: str, path: Path) -> ObjectInfo:
        info = self.stat(key)
        path = Path(path)
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
            tmp_path = Path(tmp.name)
            try:
                with self._blob_path(info.sha256).open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        tmp.write(chunk)
                if digest.hexdigest() != info.sha256:
                    raise IntegrityError(key)
            except FileNotFoundError as exc:
                tmp_path.unlink(missing_ok=True)
                raise IntegrityError(key, "bytes missing") from exc
            except BaseException:
                tmp_path.unlink(missing_ok=True)
                raise
        tmp_path.replace(path)
        return info

    @_translated
    def list(self, prefix: str = "") -> Iterator[str]:
        # Walk only the directory the prefix points into, then filter by the remaining partial name.
        base = self._keys / prefix.rsplit("/", 1)[0] if "/" in prefix else self._keys
        if not base.is_dir():
            return iter(())
        keys = (p.relative_to(self._keys).as_posix() for p in base.rglob("*") if p.is_file())
        return iter(sorted(k for k in keys if k.startswith(prefix)))

    @_translated
    def delete(self, key: str) -> None:
        self._refuse_if_locked(key)
        target = self._keys / check_key(key)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        # Blobs are shared by content; an unreferenced one is harmless and left for a later sweep.
