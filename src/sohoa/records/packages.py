"""Dossier packages (gói hồ sơ) handed between installations: the provenance file a package carries, and
what an import reports and keeps. The records inside a package are the API's own models (`DossierView`,
`Document`, `ReuseEvent`); these are only what a package adds to them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sohoa.records.basics import NfcStr, utcnow
from sohoa.records.digitization import HistoryEntry
from sohoa.records.dossiers import LinkKind, ReuseEvent
from sohoa.records.models import DocumentKind
from sohoa.records.signatures import SignatureCheck

PACKAGE_VERSION = 1


class DocumentProvenance(BaseModel):
    """Who digitized one document, where and when, and every verdict on its signatures."""

    doc_id: str
    link: LinkKind  # scanned for this dossier, or reused into it
    linked_by: str
    linked_at: datetime
    kind: DocumentKind
    agency: str | None  # the agency that digitized it
    master_sha256: str
    created_at: datetime
    history: list[HistoryEntry]  # copy → sign → extract → code → store, with who and when
    signatures: list[SignatureCheck]  # of the file as it arrived, checked when it was stored
    copy_signatures: list[SignatureCheck]  # of the latest signed copy, checked when it was signed
    # Each signed file in the package (its path in the bag), checked again at export with the exporter's
    # trust anchors.
    checked_at_export: dict[str, list[SignatureCheck]] = {}


class Provenance(BaseModel):
    """`data/provenance.json`: where the package comes from and the story of every document in it."""

    package_version: int = PACKAGE_VERSION
    dossier_code: str
    exported_at: datetime = Field(default_factory=utcnow)
    exported_by: str
    exporter: NfcStr  # the installation's name, as its signing certificate says it
    documents: list[DocumentProvenance]
    reuse_events: list[ReuseEvent]  # the reuses of documents into this dossier


class PackageImport(BaseModel):
    """Kept by the importing installation (`imports/{package}.json`): the package's provenance, who imported
    it and when. Keyed by the sha256 of the signed tag manifest, so the same package twice is one import."""

    package_sha256: str
    dossier_code: str
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: str
    package_signer: NfcStr | None
    provenance: Provenance


class DossierGrant(BaseModel):
    """Kept by the importing installation (`dossiers/{code}/held-by/{agency}.json`): the agency that imported
    the dossier may work it, reading the dossier and its documents as its own, though they keep the agency
    that received or digitized them (provenance). Who imported it, when, from which package."""

    dossier_code: str
    agency: str  # the importing agency: its staff and officers read the dossier and its documents
    granted_by: str
    granted_at: datetime = Field(default_factory=utcnow)
    package_sha256: str  # the import record, `imports/{package_sha256}.json`


class ImportReport(BaseModel):
    """What an import did: the dossier, its documents, and how many objects it wrote or found stored."""

    dossier_code: str
    agency: str | None = None  # the importing agency, now holding the dossier (DossierGrant)
    package_sha256: str
    documents: list[str]
    written: int  # objects stored by this import
    already_stored: int  # objects found stored already (a second import, or one completing a crashed one)
    already_imported: bool  # nothing new: the same package was imported before, whole

    @property
    def message(self) -> tuple[str, str]:
        if self.already_imported:
            return (
                f"Gói hồ sơ {self.dossier_code} đã được nhập trước đây, không lưu gì thêm",
                f"package of dossier {self.dossier_code} was imported before; nothing new stored",
            )
        return (
            f"Đã nhập hồ sơ {self.dossier_code}: {len(self.documents)} tài liệu, {self.written} tệp mới",
            f"imported dossier {self.dossier_code}: {len(self.documents)} documents, "
            f"{self.written} new objects",
        )
