"""One exception hierarchy for sohoa: each class carries the CLI exit code and the HTTP status it maps to,
and a message a person understands, in Vietnamese (`vi`) and English (`en`).

Every error a caller can see is a SohoaError: the packages define their own (storage.base, records'
validators, search.base, ocr.errors) as subclasses of these, and each boundary to a library (MinIO,
Elasticsearch, the filesystem, poppler and pikepdf, pyHanko) translates that library's errors into them in
one place. `str(exc)` is "vi / en", for logs; whoever shows a message reads the fields."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    BAD_INPUT = 2
    NOT_FOUND = 3
    UNAVAILABLE = 4
    DAMAGED = 5


class SohoaError(Exception):
    exit_code = ExitCode.ERROR
    http_status = 500
    code = "error"

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(f"{vi} / {en}")
        self.vi = vi
        self.en = en

    def __str__(self) -> str:
        # Not the args: a subclass that is also a KeyError would print them quoted.
        return f"{self.vi} / {self.en}"

    def __reduce__(self) -> tuple[type[SohoaError], tuple[str, str]]:
        # Raised in worker processes and re-raised in the caller: must survive pickling.
        return type(self), (self.vi, self.en)


class BadInput(SohoaError):
    """A file or request that sohoa refuses; nothing was stored."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 422
    code = "bad_input"


class InvalidValue(BadInput, ValueError):
    """A value that fails a validator (an identifier, a date, a code pattern, a query). Also a ValueError, so
    that a pydantic validator raising it reports a field error (the API answers it with these messages)."""


class EmptyFile(BadInput):
    code = "empty_file"


class UnsupportedFile(BadInput):
    http_status = 415
    code = "unsupported_type"


class CorruptFile(BadInput):
    code = "corrupt_file"


class EncryptedFile(BadInput):
    code = "encrypted_file"


class TooSlow(BadInput):
    """A file whose parsing outlasted its time budget: a parser bomb, or damage that sends a parser astray."""

    code = "too_slow_to_read"


class TooLarge(BadInput):
    http_status = 413
    code = "too_large"


class NotFound(SohoaError):
    exit_code = ExitCode.NOT_FOUND
    http_status = 404
    code = "not_found"


class ServiceUnavailable(SohoaError):
    """A backend server (MinIO, Elasticsearch) cannot be reached, or a page worker died under a task."""

    exit_code = ExitCode.UNAVAILABLE
    http_status = 503
    code = "unavailable"


class Damaged(SohoaError):
    """Stored bytes that no longer hash to the sha256 recorded when they were written (bit rot, a disk or a
    hand that changed them). Never the caller's fault: a 500-class answer, logged and audited; ingesting the
    original file again repairs the stored copy."""

    exit_code = ExitCode.DAMAGED
    http_status = 500
    code = "integrity_error"

    def __init__(self, key: str, reason: str = "sha256 mismatch") -> None:
        super().__init__(
            f"Tệp lưu trữ {key} bị hỏng (nội dung không khớp mã SHA-256 đã ghi); sự cố đã được ghi nhận, "
            "hãy số hóa lại bản gốc để khôi phục",
            f"stored object {key} is damaged ({reason}); the incident is recorded, ingest the original "
            "file again to repair it",
        )
        self.key = key
        self.reason = reason

    def __reduce__(self) -> tuple[type[Damaged], tuple[str, str]]:  # type: ignore[override]
        return type(self), (self.key, self.reason)


class Conflict(SohoaError):
    """The request contradicts the record as it stands (already revoked, already linked elsewhere)."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 409
    code = "conflict"


class Unauthorized(SohoaError):
    """No credentials, or ones that are unknown, expired or revoked."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 401
    code = "unauthorized"


class Forbidden(SohoaError):
    """The caller is known but their role or agency does not allow this."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 403
    code = "forbidden"


class TooManyRequests(SohoaError):
    exit_code = ExitCode.BAD_INPUT
    http_status = 429
    code = "too_many_requests"


class EditConflict(Conflict):
    """Others changed the record at the same moment, again and again, so this change could not be applied
    to the record as it now stands; nothing was written."""

    code = "edit_conflict"


class PreconditionFailed(SohoaError):
    """The caller's copy is out of date: `If-Match` names a version of the record that is no longer the
    current one. Nothing was written; read the record again and decide on the change anew."""

    exit_code = ExitCode.BAD_INPUT
    http_status = 412
    code = "precondition_failed"


class Gone(SohoaError):
    """What worked and no longer does: a download link whose session or token was revoked or expired."""

    exit_code = ExitCode.NOT_FOUND
    http_status = 410
    code = "gone"
