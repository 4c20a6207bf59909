"""Damaged stored objects: what happens when one is found (an error log line naming the key, and an audit
event saying what was damaged and who was reading it), and the repair of a damaged master from the original
file ingested again (the damaged bytes kept as evidence, the repair on the audit trail)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from sohoa.archive.audit import record_event
from sohoa.errors import Damaged
from sohoa.records.access import AuditAction, AuditEvent, Role
from sohoa.records.models import Document
from sohoa.search.base import SearchIndex
from sohoa.storage import keys
from sohoa.storage.base import IntegrityError, ObjectNotFound, ObjectStore

log = logging.getLogger("sohoa.integrity")


def record_of(key: str) -> str:
    """The document an object key belongs to, or the key itself for other records."""
    parts = key.split("/")
    if len(parts) > 2 and parts[0] == keys.DOCUMENTS_PREFIX.rstrip("/"):
        return parts[1]
    return key[:100]


def report_damage(
    store: ObjectStore,
    index: SearchIndex,
    exc: Damaged,
    *,
    actor: str,
    route: str,
    role: Role | None = None,
    client: str | None = None,
) -> None:
    """Log the damaged key and put the finding on the audit trail. The reader gets an error either way, so
    a trail that cannot be written (the store may be what is failing) is logged, not raised."""
    log.error("damaged stored object %s (%s), found reading %s by %s", exc.key, exc.reason, route, actor)
    event = AuditEvent(
        id=uuid.uuid4().hex,
        actor=actor,
        role=role,
        action=AuditAction.DAMAGE_FOUND,
        record=record_of(exc.key),
        route=route,
        detail={"key": exc.key, "reason": exc.reason},
        client=client,
        status=exc.http_status,
    )
    try:
        record_event(store, index, event)
    except Exception:
        log.exception("audit event for damaged object %s not written", exc.key)


def repair_master(
    store: ObjectStore, index: SearchIndex, document: Document, path: Path, *, by: str
) -> str | None:
    """Check the stored master of `document` against `path`, the same file ingested again (same sha256),
    and write it back if the stored bytes are damaged or gone. Answers None when the master was intact,
    else where the damaged bytes are kept (see ObjectStore.restore_file); the repair is audited."""
    key = document.master_key
    try:
        recorded = store.stat(key).sha256
    except ObjectNotFound:
        recorded = None
    if recorded is None:
        store.put_file(key, path, content_type=document.master_media_type, locked=True)
        evidence: str | None = "(the master was missing)"
    elif recorded != document.master_sha256:
        # The store's own record disagrees with the document's: nothing here can say which is right.
        raise IntegrityError(key, "the sha256 recorded by the store differs from the document's")
    else:
        evidence = store.restore_file(key, path)
    if evidence is None:
        return None
    log.warning(
        "damaged master %s of document %s written back from the original; evidence: %s",
        key,
        document.id,
        evidence,
    )
    record_event(
        store,
        index,
        AuditEvent(
            id=uuid.uuid4().hex,
            actor=by,
            action=AuditAction.REPAIR,
            record=document.id,
            route="ingest",
            detail={"key": key, "evidence": evidence},
            status=200,
        ),
    )
    return evidence
