"""Dossiers held by an agency other than the one that received them: an import (liên thông, the commune
receives, the district decides) grants the importing agency the dossier and the documents linked to it
(`records.packages.DossierGrant`, under `dossiers/{code}/held-by/{agency}.json`), while the records keep
their own agencies as provenance.

A grant counts once its dossier's record is stored: the import writes the grant first and the dossier
record after it, so a crash between the two shows the importing agency nothing, and the import run again
completes it. The agencies a document is granted to are those of the dossiers it is linked to: the one it
was scanned for and those it was reused into. What the index holds of them (`PageRecord.granted`) is
computed from these records whenever a document is indexed, and by `sohoa reindex`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sohoa.records.models import Document
from sohoa.records.packages import DossierGrant
from sohoa.storage import keys
from sohoa.storage.base import ObjectExists, ObjectStore


def grant_dossier(store: ObjectStore, grant: DossierGrant) -> bool:
    """Store the grant unless the agency holds the dossier already (the first grant stays); True if
    written."""
    try:
        store.create_bytes(
            keys.dossier_grant(grant.dossier_code, grant.agency),
            grant.model_dump_json(indent=2).encode(),
            content_type="application/json",
        )
    except ObjectExists:
        return False
    return True


def dossier_grants(store: ObjectStore, code: str) -> frozenset[str]:
    """The agencies granted the dossier; none while its record is not stored."""
    found = {g[1] for k in store.list(keys.dossier_grants_prefix(code)) if (g := keys.grant_of_key(k))}
    if not found or not store.exists(keys.dossier_manifest(code)):
        return frozenset()
    return frozenset(found)


def linked_dossiers(store: ObjectStore, document: Document) -> set[str]:
    """The codes of the dossiers a document is linked to: scanned for, and reused into (its markers)."""
    codes = {keys.dossier_code_of_marker(k) for k in store.list(keys.reuse_markers_prefix(document.id))}
    if document.dossier is not None:
        codes.add(document.dossier.code)
    return codes


def granted_agencies(store: ObjectStore, document: Document) -> frozenset[str]:
    """The agencies granted a document through the dossiers it is linked to."""
    return frozenset().union(*(dossier_grants(store, code) for code in linked_dossiers(store, document)))


def all_grants(listed: Iterable[str]) -> dict[str, frozenset[str]]:
    """From the keys under `dossiers/` (one listing, as a rebuild makes it): each dossier code with a stored
    record and its granted agencies."""
    granted: dict[str, set[str]] = {}
    stored: set[str] = set()
    for key in listed:
        if (grant := keys.grant_of_key(key)) is not None:
            granted.setdefault(grant[0], set()).add(grant[1])
        elif (code := keys.dossier_code_of_manifest(key)) is not None:
            stored.add(code)
    return {code: frozenset(agencies) for code, agencies in granted.items() if code in stored}
