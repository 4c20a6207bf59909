"""Record-level access: load a document or dossier only if the caller may see it.

A record the caller may not see answers exactly as a record that does not exist (404), so ids cannot be
probed. The rules themselves are `records.access.may_read`.

The once-only rule lets an officer read an applicant's papers digitized by another agency, but only through
a dossier really received at the officer's own agency (`handling_dossier`):
- the reception time is the server's (the API takes none from the client, `records.dossiers.DossierForm`),
  so no back-dated dossier opens anything;
- the access lasts while the dossier is open (received, processing) and `SOHOA_DOSSIER_ACCESS_DAYS` days
  (30 by default: long enough to hand the result back and correct a mistake the applicant points out, short
  enough that a finished case does not keep every paper of the person open) after it is done or returned;
  a dossier stored closed before close times were kept counts from its reception;
- such a read is put on the audit trail with the dossier it went through (`via_dossier`) and the owner of
  the paper, which is what the citizen's own list of reads shows (`ingest.audit.owner_reads`).

An agency that imported a dossier from the one that received it (liên thông) holds it and its documents
as its own (`archive.grants`); the grants are looked up only when the record is not the caller's agency's.
"""

from __future__ import annotations

from datetime import timedelta

from sohoa.api.backends import Backends
from sohoa.archive import load_document
from sohoa.archive.dossiers import load_dossier
from sohoa.archive.grants import dossier_grants, granted_agencies
from sohoa.errors import Forbidden, NotFound
from sohoa.records.access import Principal, Role, may_read
from sohoa.records.dossiers import DossierView
from sohoa.records.models import Document, utcnow


def _not_found(doc_id: str) -> NotFound:
    return NotFound(f"Không tìm thấy tài liệu {doc_id[:40]}", f"document {doc_id[:40]} not found")


def handling_dossier(backends: Backends, who: Principal, owner_id: str | None) -> str | None:
    """The dossier through which an officer handles an owner: received at the officer's agency, naming
    them as applicant, open or closed less than the access window ago (the newest, if several)."""
    if who.role is not Role.OFFICER or not who.agency or not owner_id:
        return None
    since = utcnow() - timedelta(days=backends.settings.dossier_access_days)
    return backends.index.access_dossier(owner_id, who.agency, since)


def handles_owner(backends: Backends, who: Principal, owner_id: str | None) -> bool:
    return handling_dossier(backends, who, owner_id) is not None


def _foreign(who: Principal, agency: str | None) -> bool:
    """Is this a record of another agency, for staff or an officer: then its grants matter."""
    return who.role in (Role.STAFF, Role.OFFICER) and who.agency is not None and agency != who.agency


def document_grants(backends: Backends, who: Principal, document: Document) -> frozenset[str]:
    """The agencies granted the document, when they can matter to `who`."""
    return granted_agencies(backends.store, document) if _foreign(who, document.agency) else frozenset()


def _read_through(who: Principal, owner: str | None, via: str | None) -> None:
    """Put on the caller's trail whose paper this is and the dossier the read went through, if any."""
    if owner:
        who.trail["owner"] = owner
    if via:
        who.trail["via_dossier"] = via
        who.trail["agency"] = who.agency or ""


def may_read_document(
    backends: Backends,
    who: Principal,
    owner: str | None,
    agency: str | None,
    granted: frozenset[str] = frozenset(),
) -> bool:
    """May `who` read a paper of this owner and digitizing agency (granted these others)? Noted on the
    trail when so."""
    if may_read(who, owner_id=owner, agency=agency, granted=granted):
        _read_through(who, owner, None)
        return True
    via = handling_dossier(backends, who, owner)
    if via is not None and may_read(who, owner_id=owner, agency=agency, handles_owner=True):
        _read_through(who, owner, via)
        return True
    return False


def readable_document(backends: Backends, who: Principal, doc_id: str) -> Document:
    try:
        document = load_document(backends.store, doc_id)
    except NotFound:
        raise _not_found(doc_id) from None
    granted = document_grants(backends, who, document)
    if not may_read_document(backends, who, document.owner_id, document.agency, granted):
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
    """The dossier, its links limited to the documents `who` may read: a paper linked by mistake into
    someone else's dossier shows neither its title nor its id there."""
    try:
        dossier = load_dossier(backends.store, code)
    except NotFound:
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found") from None
    # An agency that imported the dossier holds it and every document linked to it.
    granted = dossier_grants(backends.store, code) if _foreign(who, dossier.agency) else frozenset()
    if not may_read(who, owner_id=dossier.applicant.id_number, agency=dossier.agency, granted=granted):
        raise NotFound(f"Không tìm thấy hồ sơ {code[:60]}", f"dossier {code[:60]} not found")
    visible = []
    for link in dossier.links:
        try:
            document = load_document(backends.store, link.doc_id)
        except NotFound:
            continue
        # Checked without noting: listing a dossier is not a read of each paper's owner.
        if may_read(who, owner_id=document.owner_id, agency=document.agency, granted=granted) or may_read(
            who,
            owner_id=document.owner_id,
            agency=document.agency,
            handles_owner=handles_owner(backends, who, document.owner_id),
        ):
            visible.append(link)
    return dossier.model_copy(update={"links": visible})


def check_owner(backends: Backends, who: Principal, owner_id: str) -> None:
    """May `who` list this owner's documents? Citizens their own; officers an applicant of their agency."""
    if who.role is Role.CITIZEN and owner_id == who.personal_id:
        return
    via = handling_dossier(backends, who, owner_id)
    if via is not None:
        _read_through(who, owner_id, via)
        return
    raise Forbidden(
        "Không được xem giấy tờ của người này (cần một hồ sơ của họ tại cơ quan mình)",
        "not allowed to list this owner's documents (a dossier of theirs at your agency is needed)",
    )
