"""Fixity: read back every stored object the document records name and check its sha256 against the record.

For each document under `documents/` (in the store's lexical order of ids, so a run can be resumed): its
manifest, its master (against the sha256 the record names), page images and words, searchable PDF and signed
copies (against the sha256 the store recorded at write time). Bytes that hash otherwise are a mismatch; a key
the record names that is not there, or whose bytes are gone, is missing; objects under `documents/` that no
record names are orphans, reported but not errors (what a crashed ingest leaves). Objects are streamed by
the store (`ObjectStore.digest`), never held whole. Every run is an audit event; a checkpoint
(`fixity_report.CHECKPOINT_KEY`) is written every few documents and when the run stops, however it stops.

`run_fixity` is the one entry: the CLI (`sohoa fixity`) calls it, and so can a periodic task."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from datetime import date

from sohoa.archive.audit import record_event
from sohoa.archive.fixity_report import Finding, FixityReport, read_checkpoint, write_checkpoint
from sohoa.errors import Damaged, InvalidValue
from sohoa.records.access import AuditAction, AuditEvent, Role
from sohoa.records.basics import LOCAL_TZ
from sohoa.records.models import Document
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import IntegrityError, ObjectNotFound, ObjectStore

# Told after each document: (documents done in this part, documents this part has to do).
Progress = Callable[[int, int], None]


def last_change(document: Document) -> date:
    """The local day a document was last stored or changed: ingest, a step of its history, an edit."""
    moments = [document.created_at]
    moments += [entry.at for entry in document.history]
    moments += [edit.at for edit in document.edits]
    if document.revocation is not None:
        moments.append(document.revocation.at)
    return max(moments).astimezone(LOCAL_TZ).date()


def named_keys(document: Document) -> dict[str, str | None]:
    """The keys a record names, each with the sha256 the record itself gives (the master's) or None, where
    the store's own record of the object is the reference. Earlier signed copies are named by the history
    steps that stored them."""
    named: dict[str, str | None] = {document.master_key: document.master_sha256}
    own = keys.document_manifest(document.id).rsplit("/", 1)[0] + "/"
    for page in document.pages:
        named.setdefault(page.image_key, None)
        named.setdefault(page.words_key, None)
    stored = [entry.detail.get("key") for entry in document.history]
    for key in [document.searchable_pdf_key, document.signed_pdf_key, *stored]:
        if key and key.startswith(own):
            named.setdefault(key, None)
    return named


def _check_prefix(prefix: str) -> str:
    documents = keys.DOCUMENTS_PREFIX
    if prefix.startswith(documents) or documents.startswith(prefix):
        return prefix
    raise InvalidValue(
        f"Tiền tố {prefix[:80]!r} nằm ngoài {documents}: kiểm tra toàn vẹn chỉ xét hồ sơ tài liệu",
        f"prefix {prefix[:80]!r} is outside {documents}: fixity checks the documents' objects",
    )


def _documents_under(store: ObjectStore, prefix: str) -> tuple[dict[str, list[str]], list[str]]:
    """The keys listed under `prefix`, by document id (ids in lexical order), and stray keys directly
    under `documents/`."""
    listing = prefix if prefix.startswith(keys.DOCUMENTS_PREFIX) else keys.DOCUMENTS_PREFIX
    groups: dict[str, list[str]] = {}
    stray: list[str] = []
    for key in store.list(listing):
        parts = key.split("/", 2)
        if len(parts) < 3:
            stray.append(key)
        else:
            groups.setdefault(parts[1], []).append(key)
    return dict(sorted(groups.items())), stray


def _start(store: ObjectStore, prefix: str, since: date | None, resume: bool) -> FixityReport:
    last = read_checkpoint(store) if resume else None
    if last is None or last.complete:
        return FixityReport(prefix=prefix, since=since)  # nothing was left unfinished: a run from the start
    if (last.prefix, last.since) != (prefix, since):
        was = f"--prefix {last.prefix!r} --since {last.since or '-'}"
        raise InvalidValue(
            f"Lần kiểm tra bị dừng có điều kiện khác ({was}); hãy tiếp tục với đúng điều kiện đó",
            f"the interrupted run was for other options ({was}); resume it with those",
        )
    last.resumed_after = last.last_doc
    return last


def _check_object(store: ObjectStore, key: str, recorded: str | None, report: FixityReport) -> None:
    try:
        info, found = store.digest(key)
    except ObjectNotFound:
        report.missing.append(Finding(key, recorded or "", ""))
        return
    expected = recorded or info.sha256
    report.objects += 1
    report.part_objects += 1
    if not found:
        report.missing.append(Finding(key, expected, ""))
        return
    report.bytes += info.size
    report.part_bytes += info.size
    if found != expected or info.sha256 != expected:
        # Where the bytes agree with the record but the store recorded another sha256, that is what differs.
        report.mismatches.append(Finding(key, expected, found if found != expected else info.sha256))


def _read_manifest(store: ObjectStore, key: str, report: FixityReport) -> Document | None:
    """The document, or None when its manifest is damaged or unreadable (reported as such); ObjectNotFound
    when there is none."""
    try:
        data = store.get_bytes(key)
    except IntegrityError:
        _check_object(store, key, None, report)  # says whether its bytes differ or are gone
        return None
    report.objects += 1
    report.part_objects += 1
    report.bytes += len(data)
    report.part_bytes += len(data)
    try:
        return Document.model_validate_json(data)
    except ValueError as exc:
        report.unreadable.append(Finding(key, "", str(exc).splitlines()[0][:200]))
        return None


def _check_document(
    store: ObjectStore, doc_id: str, listed: list[str], since: date | None, report: FixityReport
) -> None:
    manifest = keys.document_manifest(doc_id)
    try:
        document = _read_manifest(store, manifest, report)
    except ObjectNotFound:
        report.orphans.extend(listed)  # no record: what a crashed ingest left
        return
    if document is not None and since is not None and last_change(document) < since:
        return
    report.documents += 1
    if document is None:
        return
    named = named_keys(document)
    for key, recorded in named.items():
        if key.startswith(report.prefix):
            _check_object(store, key, recorded, report)
    reuses = keys.reuse_marker(doc_id, "0").rsplit("/", 1)[0] + "/"
    for key in listed:
        if key.startswith(reuses):
            _check_object(store, key, None, report)  # a reuse's own record, named by its event
        elif key not in named and key != manifest:
            report.orphans.append(key)


def _audit(store: ObjectStore, index: SearchIndex, report: FixityReport, by: str, route: str) -> None:
    detail = {
        "prefix": report.prefix,
        "since": report.since.isoformat() if report.since else "",
        "documents": str(report.documents),
        "objects": str(report.objects),
        "bytes": str(report.bytes),
        "mismatches": str(len(report.mismatches)),
        "missing": str(len(report.missing)),
        "unreadable": str(len(report.unreadable)),
        "orphans": str(len(report.orphans)),
        "complete": str(report.complete).lower(),
        "resumed_after": report.resumed_after or "",
        "damaged": " ".join(f.key for f in [*report.mismatches, *report.missing, *report.unreadable])[:200],
    }
    event = AuditEvent(
        id=uuid.uuid4().hex,
        actor=by,
        role=Role.ADMIN,
        action=AuditAction.FIXITY,
        record=report.prefix[:100] or None,
        route=route,
        detail={k: v for k, v in detail.items() if v},
        status=200 if report.clean else Damaged.http_status,
    )
    record_event(store, index, event)


def run_fixity(
    store: ObjectStore,
    index: SearchIndex,
    *,
    prefix: str = "",
    since: date | None = None,
    resume: bool = False,
    by: str = "system:fixity",
    route: str = "task fixity",
    checkpoint_every: int = 100,
    stop_after: int | None = None,
    progress: Progress | None = None,
) -> FixityReport:
    """Check the objects of the documents under `prefix` (changed on or after `since`), going on after the
    last document an unfinished run checked when `resume`; `stop_after` documents ends this part early
    (what an interruption does, for tests and for runs in slices). The report is also the checkpoint;
    the run is audited as done by `by` through `route`. InvalidValue for a prefix outside `documents/` or a
    resume with other options than the unfinished run's; the store's errors as they come (the checkpoint
    of the documents done so far stays)."""
    report = _start(store, _check_prefix(prefix), since, resume)
    started = time.monotonic()
    groups, stray = _documents_under(store, report.prefix)
    if report.resumed_after is None:
        report.orphans.extend(stray)
    todo = [d for d in groups if report.resumed_after is None or d > report.resumed_after]
    try:
        for n, doc_id in enumerate(todo, 1):
            if stop_after is not None and n > stop_after:
                break
            _check_document(store, doc_id, groups[doc_id], since, report)
            report.last_doc = doc_id
            if n % checkpoint_every == 0:
                report.seconds = time.monotonic() - started
                write_checkpoint(store, report)
            if progress is not None:
                progress(n, len(todo))
        else:
            report.complete = True
    except BaseException:
        # Interrupted (Ctrl-C, a store gone): keep where it got to if the store still takes a write.
        with contextlib.suppress(Exception):
            write_checkpoint(store, report)
        raise
    report.seconds = time.monotonic() - started
    write_checkpoint(store, report)
    _audit(store, index, report, by, route)
    return report
