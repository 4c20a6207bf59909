"""Everything an import checks before it stores anything: the zip (size, names, no links out of the bag), the
bag's fixity (`bagit` validate: every file against the payload manifest, the tag files against the tag
manifest), the exporting installation's signature over the tag manifest (against this installation's trust
anchors: a forger who recomputes the manifests cannot sign them), the records against the files (master
sha256 and size, page counts, keys and ids as `storage.keys` and `archive.holdings` derive them), and every
signature of every signed PDF (`signatures.verify` with this installation's anchors).

Each refusal is a BadInput (4xx, exit 2) saying which file or record is wrong."""

from __future__ import annotations

import hashlib
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bagit
import pikepdf
from asn1crypto import x509
from pydantic import BaseModel, TypeAdapter, ValidationError

from sohoa.archive import package_layout as layout
from sohoa.archive.holdings import doc_id_for
from sohoa.errors import BadInput, CorruptFile, TooLarge, UnsupportedFile
from sohoa.records.dossiers import DossierView, LinkKind, ReuseEvent
from sohoa.records.models import Document, Word
from sohoa.records.packages import Provenance
from sohoa.records.signatures import SignatureVerdict
from sohoa.signatures import verify_pdf
from sohoa.signatures.detached import verify_detached
from sohoa.storage import keys
from sohoa.storage.base import InvalidKey

MAX_FILES = 100_000
UNPACKED_FACTOR = 4  # the files may take this many times the package's size limit once unzipped
_DOC_ID = re.compile(r"[0-9a-f]{24}")
_WORDS = TypeAdapter(list[Word])


@dataclass(frozen=True)
class CheckedPackage:
    """A package that passed every check, unpacked at `bag`."""

    bag: Path
    sha256: str  # of the signed tag manifest: names the package
    signer: str | None
    dossier: DossierView
    provenance: Provenance
    documents: list[Document]  # in the order of the dossier's links
    reuses: list[ReuseEvent]

    def file(self, key: str) -> Path:
        return layout.file_in(self.bag, layout.in_bag(key))


def refused(vi: str, en: str) -> BadInput:
    return BadInput(f"Gói hồ sơ bị từ chối: {vi}", f"package refused: {en}")


def _unzip(package: Path, into: Path, max_bytes: int) -> Path:
    """Unpack the zip into `into` and return the bag folder it holds."""
    if package.stat().st_size > max_bytes:
        raise TooLarge(f"Gói hồ sơ vượt quá {max_bytes:,} byte", f"package exceeds {max_bytes:,} bytes")
    if not zipfile.is_zipfile(package):
        raise UnsupportedFile(
            "Tệp không phải gói hồ sơ (cần tệp zip chứa một gói BagIt)",
            "not a dossier package: a zip file holding a BagIt bag is expected",
        )
    budget = max_bytes * UNPACKED_FACTOR
    try:
        with zipfile.ZipFile(package) as archive:
            members = archive.infolist()
            if len(members) > MAX_FILES:
                raise TooLarge("Gói hồ sơ có quá nhiều tệp", f"package holds over {MAX_FILES} files")
            roots = {m.filename.split("/", 1)[0] for m in members}
            if len(roots) != 1:
                raise refused("tệp zip phải chứa đúng một thư mục gói", "the zip must hold one bag folder")
            for member in members:
                _unpack(archive, member, into, budget)
                budget -= member.file_size
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise CorruptFile("Tệp zip của gói bị hỏng", f"the package's zip is damaged: {exc}") from exc
    return into / roots.pop()


def _unpack(archive: zipfile.ZipFile, member: zipfile.ZipInfo, into: Path, budget: int) -> None:
    parts = member.filename.rstrip("/").split("/")
    mode = member.external_attr >> 16
    if (
        member.filename.startswith("/")
        or "\\" in member.filename
        or any(p in ("", ".", "..") for p in parts)
        or stat.S_ISLNK(mode)
    ):
        raise refused(f"tên tệp không hợp lệ {member.filename[:80]!r}", f"bad name {member.filename[:80]!r}")
    target = into.joinpath(*parts)
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    if member.file_size > budget:
        raise TooLarge("Gói hồ sơ giải nén quá lớn", "the package is too large once unzipped")
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(member) as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)


def _fixity(root: Path) -> bagit.Bag:
    if not (root / "bagit.txt").is_file():
        raise UnsupportedFile("Tệp zip không chứa gói BagIt", "the zip holds no BagIt bag (no bagit.txt)")
    try:
        bag = bagit.Bag(str(root))
        # Named first: validate's own first complaint would be the Payload-Oxum count, not the file.
        missing, unexpected = bag.compare_manifests_with_fs()
        if missing:
            raise bagit.BagValidationError("missing", [bagit.FileMissing(sorted(missing)[0])])
        if unexpected:
            raise bagit.BagValidationError("unexpected", [bagit.UnexpectedFile(sorted(unexpected)[0])])
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        detail = exc.details[0] if exc.details else None
        if isinstance(detail, bagit.FileMissing):
            raise refused(f"thiếu tệp {detail.path}", f"file missing: {detail.path}") from exc
        if isinstance(detail, bagit.ChecksumMismatch):
            raise refused(
                f"tệp {detail.path} không khớp mã sha256 trong danh mục",
                f"{detail.path} does not match its sha256 in the manifest",
            ) from exc
        if isinstance(detail, bagit.UnexpectedFile):
            raise refused(f"tệp lạ {detail.path}", f"file not in the manifest: {detail.path}") from exc
        raise refused("gói BagIt không hợp lệ", f"invalid bag: {exc.message}") from exc
    except bagit.BagError as exc:
        raise refused("gói BagIt không hợp lệ", f"invalid bag: {exc}") from exc
    if layout.CHECKSUM not in bag.algorithms:
        raise refused("gói thiếu danh mục sha256", "the bag has no sha256 manifest")
    tagged = set(bag.tagfile_entries())
    for name in (layout.PAYLOAD_MANIFEST, "bag-info.txt", "bagit.txt"):
        if name not in tagged:
            raise refused(f"danh mục thẻ không có {name}", f"the tag manifest does not cover {name}")
    return bag


def _sealed(root: Path, anchors: list[x509.Certificate]) -> str | None:
    """Check the exporter's signature over the tag manifest; the signer's name."""
    seal = root / layout.SEAL
    if not seal.is_file():
        raise refused(
            "gói không có chữ ký của nơi xuất", f"the package is not signed ({layout.SEAL} missing)"
        )
    check = verify_detached((root / layout.TAG_MANIFEST).read_bytes(), seal.read_bytes(), anchors)
    if check.verdict is not SignatureVerdict.VALID:
        raise refused(check.reason_vi, check.reason_en)
    return check.signer


def _model(root: Path, path: str, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate_json(layout.file_in(root, path).read_bytes())
    except (OSError, ValidationError, ValueError) as exc:
        raise refused(f"bản ghi {path} không đọc được", f"record {path} cannot be read") from exc


def _digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _check_document(root: Path, document: Document) -> None:
    """The record against its files and against the keys its id gives."""
    doc_id = document.id
    wrong = refused(
        f"bản ghi tài liệu {doc_id} không khớp với tệp", f"record {doc_id} does not match its files"
    )
    if doc_id != doc_id_for(document.master_sha256, document.agency):
        raise refused(f"mã tài liệu {doc_id} không khớp bản gốc", f"id {doc_id} does not match its master")
    ext = layout.extension(document)
    if not re.fullmatch(r"[a-z0-9]{1,5}", ext) or document.master_key != keys.document_master(
        doc_id, document.master_sha256, ext
    ):
        raise wrong
    master = layout.file_in(root, layout.in_bag(document.master_key))
    if master.stat().st_size != document.master_size or _digest(master) != document.master_sha256:
        raise refused(
            f"bản gốc của tài liệu {doc_id} không khớp sha256 của bản ghi",
            f"the master of {doc_id} does not match the record's sha256",
        )
    if [p.number for p in document.pages] != list(range(1, document.page_count + 1)):
        raise refused(f"số trang của tài liệu {doc_id} không khớp", f"page count of {doc_id} does not match")
    for page in document.pages:
        if page.image_key != keys.page_image(doc_id, page.number) or page.words_key != keys.page_words(
            doc_id, page.number
        ):
            raise wrong
        try:
            _WORDS.validate_json(layout.file_in(root, layout.in_bag(page.words_key)).read_bytes())
        except ValidationError as exc:
            raise refused(
                f"chữ của trang {page.number} không đọc được", f"words of page {page.number}"
            ) from exc
    if document.searchable_pdf_key not in (None, keys.searchable_pdf(doc_id)):
        raise wrong
    if document.signed_pdf_key is not None and document.signed_pdf_key != keys.signed_pdf(
        doc_id, layout.signed_count(document)
    ):
        raise wrong
    if document.searchable_pdf_key:
        try:
            with pikepdf.open(layout.file_in(root, layout.in_bag(document.searchable_pdf_key))) as pdf:
                pages = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise CorruptFile(f"Bản PDF của {doc_id} bị hỏng", f"the PDF of {doc_id} is damaged") from exc
        if pages != document.page_count:
            raise refused(
                f"bản PDF của {doc_id} có {pages} trang, bản ghi ghi {document.page_count}",
                f"the PDF of {doc_id} has {pages} pages, its record says {document.page_count}",
            )


def _check_signatures(root: Path, document: Document, anchors: list[x509.Certificate]) -> None:
    """Every signature of every signed PDF, checked here: what the record says was valid must be valid now,
    and every signature of sohoa's signed copies must be valid."""

    def forged(key: str) -> BadInput:
        return refused(
            f"chữ ký trên tệp {key} không hợp lệ khi kiểm tra tại đây",
            f"a signature of {key} does not verify here",
        )

    if document.master_media_type == "application/pdf" and document.signatures:
        now = {
            c.field: c.verdict
            for c in verify_pdf(layout.file_in(root, layout.in_bag(document.master_key)), anchors)
        }
        if len(now) != len(document.signatures) or any(
            c.verdict is SignatureVerdict.VALID and now.get(c.field) is not SignatureVerdict.VALID
            for c in document.signatures
        ):
            raise forged(document.master_key)
    for n in range(1, layout.signed_count(document) + 1):
        key = keys.signed_pdf(document.id, n)
        checks = verify_pdf(layout.file_in(root, layout.in_bag(key)), anchors)
        if not checks or any(c.verdict is not SignatureVerdict.VALID for c in checks):
            raise forged(key)
        if key == document.signed_pdf_key and len(checks) != len(document.copy_signatures):
            raise forged(key)


def _records(root: Path, bag: bagit.Bag) -> tuple[DossierView, Provenance, list[Document]]:
    dossier = _model(root, layout.DOSSIER, DossierView)
    provenance = _model(root, layout.PROVENANCE, Provenance)
    assert isinstance(dossier, DossierView) and isinstance(provenance, Provenance)
    try:
        keys.dossier_manifest(dossier.code)
    except InvalidKey as exc:
        raise refused("mã hồ sơ không hợp lệ", "invalid dossier code") from exc
    expected = {layout.DOSSIER, layout.PROVENANCE}
    documents: list[Document] = []
    for link in dossier.links:
        if link.dossier_code != dossier.code or not _DOC_ID.fullmatch(link.doc_id):
            raise refused("liên kết hồ sơ không hợp lệ", f"bad link to {link.doc_id[:40]!r}")
        record = layout.record_path(link.doc_id)
        if not layout.file_in(root, record).is_file():
            raise refused(f"thiếu bản ghi {record}", f"record missing: {record}")
        document = _model(root, record, Document)
        assert isinstance(document, Document)
        if document.id != link.doc_id:
            raise refused(f"bản ghi {record} mang mã khác", f"{record} holds another document")
        documents.append(document)
        expected |= {record, *(layout.in_bag(k) for k in layout.document_keys(document))}
    present = set(bag.payload_files())
    if present != expected:
        odd = sorted(present ^ expected)[0]
        raise refused(f"tệp không khớp bản ghi: {odd}", f"files and records disagree: {odd}")
    if provenance.dossier_code != dossier.code or {d.doc_id for d in provenance.documents} != {
        d.id for d in documents
    }:
        raise refused("tệp nguồn gốc không khớp hồ sơ", "the provenance file does not match the dossier")
    return dossier, provenance, documents


def _reuses(dossier: DossierView, provenance: Provenance) -> list[ReuseEvent]:
    reused = {link.doc_id for link in dossier.links if link.kind is LinkKind.REUSED}
    events = provenance.reuse_events
    if {e.doc_id for e in events} != reused or any(e.dossier_code != dossier.code for e in events):
        raise refused(
            "sự kiện dùng lại không khớp hồ sơ", "the reuse events do not match the dossier's links"
        )
    return events


def check_package(
    package: Path, scratch: Path, anchors: Sequence[x509.Certificate], *, max_bytes: int
) -> CheckedPackage:
    """Unpack `package` into `scratch` and check all of it; raises a BadInput on the first fault."""
    root = _unzip(package, scratch, max_bytes)
    bag = _fixity(root)
    signer = _sealed(root, list(anchors))
    dossier, provenance, documents = _records(root, bag)
    for document in documents:
        _check_document(root, document)
        _check_signatures(root, document, list(anchors))
    return CheckedPackage(
        bag=root,
        sha256=_digest(root / layout.TAG_MANIFEST),
        signer=signer,
        dossier=dossier,
        provenance=provenance,
        documents=documents,
        reuses=_reuses(dossier, provenance),
    )
