"""Batches do what single-file ingest does: a cover sheet that says its papers are results of a type makes
results with result codes (an old sheet still makes components, a sheet with an unknown kind makes nothing and
says why), signed PDFs in a stack have their signatures checked, and `sohoa cover-sheet --kind --type` prints
a sheet whose QR code says so. Real files, real Tesseract, real PKI (samples/pki), both stores."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import segno
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from PIL import Image

from people import make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import load_document
from sohoa.archive.dossiers import create_dossier
from sohoa.archive.signing import check_document
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.batches import run_batch
from sohoa.ingest.executor import InlineExecutor
from sohoa.ocr.rasterize import scanned_image
from sohoa.records.batches import Batch, CoverSheet
from sohoa.records.digitization import Step
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import DocumentKind
from sohoa.records.signatures import SignatureCheck, SignatureVerdict, SignerRole
from sohoa.samples.pki import Issued, issue, make_ca
from sohoa.samples.scangen import make_page, write_pdf
from sohoa.samples.stacks import cover_scan
from sohoa.scanners.coversheet import parse_payload, payload, read_cover
from sohoa.search.base import SearchIndex
from sohoa.search.sqlite import SqliteIndex
from sohoa.signatures import SigningRequest, load_pkcs12, sign_pdf
from sohoa.storage import keys
from sohoa.storage.base import ObjectStore
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.fixity import sha256_file

SOHOA = str(Path(sys.executable).parent / "sohoa")
AGENCY = "000.00.11.H29"
OWNER = "001203012345"
PASS = "mật khẩu khóa ký"


def _cover(n: int, **said: object) -> CoverSheet:
    return CoverSheet(
        dossier_code=f"{AGENCY}-261123-{n:04d}", procedure_code="1.001193", owner_id=OWNER, **said
    )


def _page(seed: int) -> Image.Image:
    return make_page(seed=seed, size="A5", lines=3).image


def _qr_sheet(text: str) -> Image.Image:
    """A sheet carrying any QR text, as a newer (or damaged) sohoa might print it, scanned at 300 dpi."""
    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=10, border=4)
    code = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").resize((708, 708), Image.NEAREST)
    sheet = Image.new("RGB", (2480, 3508), (244, 244, 244))
    sheet.paste(code, (886, 600))
    sheet.info["dpi"] = (300, 300)
    return sheet


def _batch(tmp: Path, store: ObjectStore, index: SearchIndex, images: list[Image.Image]) -> Batch:
    stack = tmp / "stack.pdf"
    write_pdf(images, stack)
    return run_batch(
        [stack], store=store, index=index, agency=AGENCY, executor=InlineExecutor(), scratch_root=tmp
    )


def test_a_stack_of_results_gets_result_codes_and_an_old_sheet_still_makes_a_component(
    tmp_path: Path, store: ObjectStore, index: SearchIndex
) -> None:
    old = _cover(2, expected_pages=1)
    # Printed before sheets could say anything about their papers: the QR text is exactly the old one.
    assert payload(old) == f"SOHOA1|{AGENCY}-261123-0002|1.001193|{OWNER}|1"
    result = _cover(1, expected_pages=1, kind=DocumentKind.RESULT, doc_type="giay-phep")
    images = [cover_scan(result), _page(71), cover_scan(old), _page(72)]
    batch = _batch(tmp_path, store, index, images)

    permit, component = (load_document(store, g.doc_id or "") for g in batch.groups)
    assert permit.kind is DocumentKind.RESULT and permit.doc_type == "giay-phep"
    assert permit.result_code == f"GP.{OWNER}"
    code_steps = [h for h in permit.history if h.step is Step.CODE]
    assert len(code_steps) == 1 and code_steps[0].detail.get("code") == f"GP.{OWNER}"
    assert component.kind is DocumentKind.COMPONENT and component.result_code is None
    assert Step.CODE not in [h.step for h in component.history]
    assert component.owner_id == OWNER
    assert batch.review == []


def test_a_cover_sheet_naming_an_unknown_kind_makes_no_document_and_says_why(tmp_path: Path) -> None:
    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    bogus = f"SOHOA2|{AGENCY}-261123-0003|1.001193|{OWNER}|1|bien-ban|giay-phep"
    good = _cover(4, kind=DocumentKind.RESULT, doc_type="giay-chung-nhan")
    batch = _batch(tmp_path, store, index, [_qr_sheet(bogus), _page(73), cover_scan(good), _page(74)])

    refused, made = batch.groups
    assert refused.cover is not None and refused.cover_page == 1 and refused.pages == [2]
    assert refused.doc_id is None  # its page is not added to any document
    [item] = batch.review
    assert (item.group, item.reason) == (0, "cover_refused") and "bien-ban" in item.detail
    assert "unknown kind" in item.detail
    assert load_document(store, made.doc_id or "").result_code == f"GCN.{OWNER}"

    # The scan station's page says so too.
    staff = make_people(store)["staff"]
    settings = Settings(data_dir=tmp_path / "data", workers=1)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get(f"/scan/{batch.id}", headers=staff.headers)
    assert page.status_code == 200, page.text
    assert "Tờ bìa không dùng được" in page.text and 'data-reason="cover_refused"' in page.text
    assert '<span data-kind="result">kết quả giay-chung-nhan</span>' in page.text


def test_cover_sheet_payloads_are_validated() -> None:
    sheet = _cover(5, expected_pages=2, kind=DocumentKind.RESULT, doc_type="giay-phep")
    assert payload(sheet).startswith("SOHOA2|") and parse_payload(payload(sheet)) == sheet
    bad_type = parse_payload(f"SOHOA2|X-1|1.0|{OWNER}|1|result|Giấy phép")
    assert bad_type is not None and bad_type.refused and "bad type" in bad_type.refused
    newer = parse_payload("SOHOA9|X-1|something|else")
    assert newer is not None and newer.dossier_code == "X-1" and "SOHOA9" in (newer.refused or "")
    old = parse_payload(f"SOHOA1|X-1|1.0|{OWNER}|3")
    assert old is not None and old.kind is DocumentKind.COMPONENT and old.doc_type is None and not old.refused
    short = parse_payload("SOHOA2|X-1|1.0||1|result")
    assert short is not None and "malformed" in (short.refused or "")
    assert parse_payload("https://dichvucong.gov.vn/x") is None


def _asn1(issued: Issued) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(issued.cert.public_bytes(Encoding.DER))


def _signed(tmp: Path, images: list[Image.Image], p12: Path, name: str) -> Path:
    unsigned, out = tmp / f"{name}-unsigned.pdf", tmp / f"{name}.pdf"
    write_pdf(images, unsigned)
    request = SigningRequest(role=SignerRole.AGENCY, name="UBND xã Thủy Vân")
    sign_pdf(unsigned, out, load_pkcs12(p12, PASS), request)
    return out


def _facts(checks: list[SignatureCheck]) -> list[tuple[object, ...]]:
    return [(c.field, c.verdict, c.signer, c.covers_whole_file, c.reason_en) for c in checks]


def test_signed_pdfs_in_a_batch_are_checked_as_single_file_ingest_checks_them(
    tmp_path: Path, store: ObjectStore
) -> None:
    root, rogue_ca = make_ca("Root CA thử nghiệm sohoa"), make_ca("CA không được tin cậy")
    anchors = [_asn1(root)]
    trusted = issue(root, "Văn phòng UBND xã Thủy Vân").pkcs12(tmp_path / "ubnd.p12", PASS)
    rogue = issue(rogue_ca, "Kẻ giả mạo").pkcs12(tmp_path / "rogue.p12", PASS)
    good = _signed(tmp_path, [_page(81)], trusted, "good")
    forged = _signed(tmp_path, [_page(82)], rogue, "forged")
    # A signed file that holds two dossiers' papers: the stack cuts it, so no document holds the signature.
    split = _signed(
        tmp_path, [cover_scan(_cover(8)), _page(83), cover_scan(_cover(9)), _page(84)], trusted, "split"
    )
    sheets = []
    for n, cover in enumerate((_cover(6, kind=DocumentKind.RESULT, doc_type="giay-chung-nhan"), _cover(7))):
        path = tmp_path / f"cover-{n}.png"
        cover_scan(cover).save(path, dpi=(300, 300))
        sheets.append(path)
    index = SqliteIndex(tmp_path / "index.sqlite3")
    batch = run_batch(
        [sheets[0], good, sheets[1], forged, split],
        store=store,
        index=index,
        agency=AGENCY,
        executor=InlineExecutor(),
        scratch_root=tmp_path,
        trust_anchors=anchors,
    )
    # The same files, one by one, as `sohoa ingest` takes them.
    alone = FilesystemStore(tmp_path / "alone")
    alone_index = SqliteIndex(tmp_path / "alone.sqlite3")
    single = {
        path: ingest_file(
            path,
            store=alone,
            index=alone_index,
            meta=IngestMeta(name=path.name, agency=AGENCY),
            executor=InlineExecutor(),
            trust_anchors=anchors,
        ).document.signatures
        for path in (good, forged)
    }

    permit, component, first, second = (load_document(store, g.doc_id or "") for g in batch.groups)
    assert [c.verdict for c in permit.signatures] == [SignatureVerdict.VALID]
    assert _facts(permit.signatures) == _facts(single[good])
    assert permit.signatures[0].signer == "Văn phòng UBND xã Thủy Vân"
    assert permit.result_code == f"GCN.{OWNER}"
    # The signed file is the master byte for byte, so its signatures can be checked again on what is stored.
    assert permit.master_sha256 == sha256_file(good)
    assert [c.verdict for c in check_document(store, permit.id, anchors).source] == [SignatureVerdict.VALID]
    assert [c.verdict for c in component.signatures] == [SignatureVerdict.UNTRUSTED]
    assert _facts(component.signatures) == _facts(single[forged])
    assert component.signature_verdict is SignatureVerdict.UNTRUSTED

    assert first.signatures == [] and second.signatures == []
    split_items = [r for r in batch.review if r.reason == "signature_split"]
    assert [r.group for r in split_items] == [2, 3]
    assert all("valid" in r.detail for r in split_items)


def _stored_batch(store: FilesystemStore) -> Batch:
    [key] = [k for k in store.list(keys.BATCHES_PREFIX) if k.endswith("/batch.json")]
    return Batch.model_validate_json(store.get_bytes(key))


def test_cli_cover_sheet_says_kind_and_type_in_its_qr_code(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = FilesystemStore(data / "store")
    applicant = Applicant(id_number=OWNER, name="Trần Thị Bình")
    new = NewDossier(
        agency=AGENCY, procedure_code="1.004227", procedure_name="Cấp giấy phép xây dựng", applicant=applicant
    )
    dossier = create_dossier(store, SqliteIndex(tmp_path / "index.sqlite3"), new, by="officer")
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "COLUMNS": "200"}
    out = tmp_path / "sheet.pdf"
    args = [SOHOA, "cover-sheet", dossier.code, "--out", str(out), "--pages", "2"]
    r = subprocess.run(
        [*args, "--kind", "result", "--type", "giay-phep"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr

    image = scanned_image(str(out), 1, 150)
    assert image is not None
    read = read_cover(image)
    assert read == CoverSheet(
        dossier_code=dossier.code,
        procedure_code="1.004227",
        owner_id=OWNER,
        expected_pages=2,
        kind=DocumentKind.RESULT,
        doc_type="giay-phep",
    )

    # The printed sheet on top of the permit, through the scanner: the permit is stored as a result.
    permit = tmp_path / "permit.pdf"
    write_pdf([_page(75)], permit)
    r = subprocess.run(
        [SOHOA, "batch", str(out), str(permit), "--agency", AGENCY], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert "result giay-phep" in r.stdout
    [group] = _stored_batch(store).groups
    document = load_document(store, group.doc_id or "")
    assert document.result_code == f"GP.{OWNER}" and document.dossier is not None
    assert document.dossier.code == dossier.code

    # Without --kind/--type the sheet is what it always was.
    plain = tmp_path / "plain.pdf"
    r = subprocess.run([*args[:4], str(plain)], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    old = read_cover(scanned_image(str(plain), 1, 150))
    assert old is not None and old.kind is DocumentKind.COMPONENT and old.doc_type is None

    bad = tmp_path / "bad.pdf"
    r = subprocess.run(
        [*args[:4], str(bad), "--kind", "result", "--type", "Giấy phép"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and "giay-phep" in r.stderr and "Traceback" not in r.stderr
    assert not bad.exists()
