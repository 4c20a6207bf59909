"""Record-level access: load a document or dossier only if the caller may see it.

A record the caller may not see answers exactly as a record that does not exist (404), so ids cannot be
probed. The rules themselves are `records.access.may_read`.
"""

from __future__ import annotations

from sohoa.api.backends import Backends
from sohoa.errors import Forbidden, NotFound
from sohoa.ingest import load_document
from sohoa.ingest.dossiers import load_dossier
from sohoa.records.access import Principal, Role, may_read
from sohoa.records.dossiers import DossierView
from sohoa.records.models import Document
from sohoa.search.records import RecordIndex


def _not_found(doc_id: str) -> NotFound:
    return NotFound(f"Không tìm thấy tài liệu {doc_id[:40]}", f"document {doc_id[:40]} not found")


def handles_owner(backends: Backends, who: Principal, owner_id: str | None) -> bool:
    """An officer handles an owner when a dossier at the officer's agency names them as applicant."""
    if who.role is not Role.OFFICER or not who.agency or not owner_id:
        return False
    index = backends.index
    return isinstance(index, RecordIndex) and index.owner_applies_at(owner_id, who.agency)


def readable_document(backends: Backends, who: Principal, doc_id: str) -> Document:
    try:
        document = load_document(backends.store, doc_id)
    except NotFound:
        raise _not_found(doc_id) from None
    owner, agency = document.owner_id, document.agency
    if not may_read(who, owner_id=owner, agency=agency) and not may_read(
        who, owner_id=owner, agency=agency, handles_owner=handles_owner(backends, who, owner)
    ):
        raise _not_found(doc_id)
    return document


def editable_document(backends: Backends, who: Principal, doc_id: str) -> Document:
    """Changes (revocation, field confirmation) are for the agency that digitized the document."""
    document = readable_document(backends, who, doc_id)
    if document.agency is None or document.agency != who.agency:
        raise Forbidden(
            "Chỉ cơ quan đã số hóa tài liệu mới được sửa hoặc thu hồi",
            "only the agency that digitized a document may change or revoke it",
        )
    return document


def readable_dossier(backends: Backends, who: Principal, code: str) -> DossierView:
    try:
        dossier = load_dossier(backends.store, code)
    except NotFound:
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found") from None
    if not may_read(who, owner_id=dossier.applicant.id_number, agency=dossier.agency):
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found")
    return dossier


def check_owner(backends: Backends, who: Principal, owner_id: str) -> None:
    """May `who` list this owner's documents? Citizens their own; officers an applicant of their agency."""
    if who.role is Role.CITIZEN and owner_id == who.personal_id:
        return
    if handles_owner(backends, who, owner_id):
        return
    raise Forbidden(
        "Không được xem giấy tờ của người này (cần một hồ sơ của họ tại cơ quan mình)",
        "not allowed to list this owner's documents (a dossier of theirs at your agency is needed)",
    )
