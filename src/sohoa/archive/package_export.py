"""Export a dossier as one package for another installation: a BagIt bag (the `bagit` library) with every
document of the dossier (scanned for it or reused into it), each with its master as captured, page images
and words, searchable PDF, signed copies and record; the dossier record; a provenance file; sha256 payload
and tag manifests; and the installation's detached signature over the tag manifest. Shipped zipped, as one
file (docs/package.md says why).

Every object is read back through the store's checked download, so a damaged stored object stops the export
(`Damaged`) instead of travelling on with a fresh, matching sha256 in the manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bagit
from asn1crypto import x509
from pyhanko.sign.signers.pdf_cms import Signer

from sohoa import __version__
from sohoa.archive import package_layout as layout
from sohoa.archive.documents import load_document
from sohoa.archive.reuses import marked_reuse
from sohoa.errors import SohoaError
from sohoa.records.dossiers import DossierView, LinkKind, ReuseEvent
from sohoa.records.models import Document
from sohoa.records.packages import DocumentProvenance, Provenance
from sohoa.records.signatures import SignatureCheck
from sohoa.signatures import signer_name, verify_pdf
from sohoa.signatures.detached import sign_detached
from sohoa.storage.base import ObjectStore


@dataclass(frozen=True)
class PackageStats:
    """The package written, and how large it is against the files it holds."""

    path: Path
    files: int  # files in the bag, tag files included
    files_bytes: int  # their sizes added up
    package_bytes: int  # the zip

    @property
    def ratio(self) -> float:
        return self.package_bytes / self.files_bytes if self.files_bytes else 0.0


def _checked_now(bag: Path, document: Document, anchors: list[x509.Certificate]) -> dict:
    """The signatures of each signed file of the document, checked with the exporter's anchors."""
    found: dict[str, list[SignatureCheck]] = {}
    for key in layout.document_keys(document):
        is_master = key.endswith(f".{layout.extension(document)}") and "/master/" in key
        if (is_master and document.master_media_type == "application/pdf") or "/signed-" in key:
            found[layout.in_bag(key)] = verify_pdf(layout.file_in(bag, key), anchors)
    return found


def _gather(
    store: ObjectStore, dossier: DossierView, bag: Path, anchors: list[x509.Certificate]
) -> tuple[list[DocumentProvenance], list[ReuseEvent]]:
    documents: list[DocumentProvenance] = []
    reuses: list[ReuseEvent] = []
    for link in dossier.links:
        document = load_document(store, link.doc_id)
        for key in layout.document_keys(document):
            target = layout.file_in(bag, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            store.download(key, target)
        record = layout.file_in(bag, layout.record_path(document.id).removeprefix(f"{layout.PAYLOAD}/"))
        record.write_text(document.model_dump_json(indent=2), encoding="utf-8")
        if link.kind is LinkKind.REUSED and (event := marked_reuse(store, document.id, dossier.code)):
            reuses.append(event)
        documents.append(
            DocumentProvenance(
                doc_id=document.id,
                link=link.kind,
                linked_by=link.by,
                linked_at=link.at,
                kind=document.kind,
                agency=document.agency,
                master_sha256=document.master_sha256,
                created_at=document.created_at,
                history=document.history,
                signatures=document.signatures,
                copy_signatures=document.copy_signatures,
                checked_at_export=_checked_now(bag, document, anchors),
            )
        )
    return documents, reuses


_MAKE_BAG = (
    "import bagit, json, sys; bagit.make_bag(sys.argv[1], json.loads(sys.argv[2]), checksums=[sys.argv[3]])"
)


def _make_bag(bag: Path, info: dict[str, str]) -> None:
    """bagit.make_bag in a child process: it changes the working directory while it works, which in a
    server would pull the ground from under every other thread (a relative SOHOA_DATA_DIR, for one)."""
    done = subprocess.run(
        [sys.executable, "-c", _MAKE_BAG, str(bag), json.dumps(info), layout.CHECKSUM],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise SohoaError("Không tạo được gói BagIt", f"bagit failed: {done.stderr.strip()[-300:]}")


def _zip(bag: Path, out: Path) -> int:
    """Zip the bag folder into `out` (written whole under another name, then renamed); returns the files."""
    files = sorted(p for p in bag.rglob("*") if p.is_file())
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, f"{bag.name}/{path.relative_to(bag).as_posix()}")
        Path(tmp).replace(out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(files)


def export_dossier(
    store: ObjectStore,
    dossier: DossierView,
    out: Path,
    *,
    signer: Signer,
    anchors: Sequence[x509.Certificate],
    by: str,
    scratch_root: Path | None = None,
) -> PackageStats:
    """Write the package of `dossier` (its links as the caller may see them) to `out`."""
    if scratch_root is not None:
        scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sohoa-export-", dir=scratch_root))
    try:
        bag = scratch / layout.bag_root(dossier.code)
        bag.mkdir()
        documents, reuses = _gather(store, dossier, bag, list(anchors))
        exporter = signer_name(signer.signing_cert)
        (bag / "dossier.json").write_text(dossier.model_dump_json(indent=2), encoding="utf-8")
        provenance = Provenance(
            dossier_code=dossier.code,
            exported_by=by,
            exporter=exporter,
            documents=documents,
            reuse_events=reuses,
        )
        (bag / "provenance.json").write_text(provenance.model_dump_json(indent=2), encoding="utf-8")
        _make_bag(
            bag,
            {
                "Source-Organization": exporter,
                "External-Identifier": dossier.code,
                "External-Description": f"Hồ sơ {dossier.code}: {dossier.procedure_name}",
                "Bag-Software-Agent": f"sohoa {__version__} (bagit {bagit.VERSION})",
            },
        )
        (bag / layout.SEAL).write_bytes(sign_detached((bag / layout.TAG_MANIFEST).read_bytes(), signer))
        sizes = sum(p.stat().st_size for p in bag.rglob("*") if p.is_file())
        out.parent.mkdir(parents=True, exist_ok=True)
        count = _zip(bag, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return PackageStats(out, count, sizes, out.stat().st_size)
