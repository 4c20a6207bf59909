"""Signed digitized copies and signed results: PAdES signatures made with a PKCS#12 key and with a PKCS#11
token (SoftHSM2), checked against a test root CA; tampering, changes after signing and unknown signers each
reported as such; a result whose signature does not check out is not offered for reuse; every PDF made here
passes veraPDF's PDF/A-2b validation; the CLI and the API routes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi.testclient import TestClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from conftest import validate_pdfa
from people import AGENCY, CITIZEN_A, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends
from sohoa.api.settings import Settings
from sohoa.archive import load_document
from sohoa.archive.dossiers import owner_documents
from sohoa.archive.lifecycle import revoke
from sohoa.archive.signing import check_document, sign_document
from sohoa.errors import BadInput, Conflict
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.digitization import Step
from sohoa.records.models import DocumentKind
from sohoa.records.signatures import SignatureVerdict, SignerRole
from sohoa.samples.pki import Issued, issue, make_ca
from sohoa.samples.scangen import make_page
from sohoa.samples.softhsm import PIN, make_token
from sohoa.search.sqlite import SqliteIndex
from sohoa.signatures import Pkcs11Key, SigningRequest, load_pkcs12, open_pkcs11, sign_pdf, verify_pdf
from sohoa.signatures.presence import may_be_signed
from sohoa.storage.filesystem import FilesystemStore

SOHOA = str(Path(sys.executable).parent / "sohoa")
PASS = "mật khẩu khóa ký"


@dataclass
class Pki:
    root: Issued
    anchors: list[asn1_x509.Certificate]
    anchors_pem: Path
    digitizer_p12: Path
    agency: Issued
    rogue_p12: Path  # issued by a CA nobody configured


@dataclass
class Desk:
    tmp: Path
    pki: Pki
    store: FilesystemStore
    index: SqliteIndex
    doc_id: str  # a digitized component at AGENCY, owner CITIZEN_A
    made: list[Path]  # every PDF the tests produce, for veraPDF at the end


def _asn1(issued: Issued) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(issued.cert.public_bytes(Encoding.DER))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("sign")
    root = make_ca("Root CA thử nghiệm sohoa")
    rogue_ca = make_ca("CA không được tin cậy")
    pki = Pki(
        root=root,
        anchors=[_asn1(root)],
        anchors_pem=root.cert_pem(tmp / "anchors.pem"),
        digitizer_p12=issue(root, "Nguyễn Thị Lan").pkcs12(tmp / "lan.p12", PASS),
        agency=issue(root, "Văn phòng UBND tỉnh Thừa Thiên Huế", rsa_key=True),
        rogue_p12=issue(rogue_ca, "Kẻ giả mạo").pkcs12(tmp / "rogue.p12", PASS),
    )
    store, index = FilesystemStore(tmp / "store"), SqliteIndex(tmp / "index.sqlite3")
    page = tmp / "page.png"
    make_page(seed=21, size="A5", lines=6).image.save(page, dpi=(300, 300))
    meta = IngestMeta(name="page.png", owner_id=CITIZEN_A, agency=AGENCY, by="staff")
    doc = ingest_file(page, store=store, index=index, meta=meta, executor=InlineExecutor()).document
    yield Desk(tmp, pki, store, index, doc.id, [])


@pytest.fixture(scope="module")
def agency_token(desk: Desk) -> Pkcs11Key:
    # SoftHSM reads its configuration once per process: one token directory serves the whole module.
    return make_token(desk.tmp / "hsm", "ubnd-hue", desk.pki.agency, "van-phong")


def _download(desk: Desk, key: str, name: str) -> Path:
    path = desk.tmp / name
    desk.store.download(key, path)
    desk.made.append(path)
    return path


def _signature_rects(path: Path) -> list[tuple[float, float, float, float]]:
    with pikepdf.open(path) as pdf:
        annots = pdf.pages[0].obj.get("/Annots") or []
        return [tuple(float(v) for v in a.Rect) for a in annots if a.get("/FT") == "/Sig"]


def _page_size(path: Path) -> tuple[float, float]:
    with pikepdf.open(path) as pdf:
        box = pdf.pages[0].mediabox
        return float(box[2]), float(box[3])


def test_digitizer_signs_with_pkcs12_then_agency_with_a_softhsm_token(
    desk: Desk, agency_token: Pkcs11Key
) -> None:
    lan = load_pkcs12(desk.pki.digitizer_p12, PASS)
    request = SigningRequest(role=SignerRole.DIGITIZER, name="Nguyễn Thị Lan")
    doc = sign_document(
        desk.store, desk.index, desk.doc_id, lan, request, by="staff", trust_anchors=desk.pki.anchors
    )
    assert [c.verdict for c in doc.copy_signatures] == [SignatureVerdict.VALID]
    assert doc.copy_signatures[0].signer == "Nguyễn Thị Lan"
    assert [h.step for h in doc.history] == [Step.COPY, Step.EXTRACT, Step.STORE, Step.SIGN, Step.STORE]
    once = _download(desk, doc.signed_pdf_key or "", "signed-once.pdf")
    width, height = _page_size(once)
    [(_, _, right, top)] = _signature_rects(once)
    assert right < width / 2 and top > height - 40  # top-left, in the top margin

    with open_pkcs11(agency_token, PIN) as token:
        request = SigningRequest(role=SignerRole.AGENCY, name="UBND tỉnh Thừa Thiên Huế")
        doc = sign_document(
            desk.store, desk.index, desk.doc_id, token, request, by="officer", trust_anchors=desk.pki.anchors
        )
    # The agency's signature is an incremental update: the digitizer's stays valid under it.
    assert [c.verdict for c in doc.copy_signatures] == [SignatureVerdict.VALID, SignatureVerdict.VALID]
    assert doc.copy_signatures[1].signer == "Văn phòng UBND tỉnh Thừa Thiên Huế"
    assert doc.copy_signatures[1].covers_whole_file and not doc.copy_signatures[0].covers_whole_file
    twice = _download(desk, doc.signed_pdf_key or "", "signed-twice.pdf")
    assert doc.signed_pdf_key != load_document(desk.store, desk.doc_id).searchable_pdf_key
    agency_box = _signature_rects(twice)[1]
    assert agency_box[0] > width / 2 and agency_box[3] > height - 40  # top-right
    assert desk.store.exists(f"documents/{desk.doc_id}/signed-1.pdf")  # the first signed copy is kept
    report = check_document(desk.store, desk.doc_id, desk.pki.anchors)
    assert [c.verdict for c in report.signed_copy] == [SignatureVerdict.VALID] * 2 and report.source == []


def _signed_result(desk: Desk, name: str, p12: Path | None = None) -> Path:
    """A result as it arrives from the issuing agency: a PDF signed by them."""
    source = _download(
        desk, load_document(desk.store, desk.doc_id).searchable_pdf_key or "", f"{name}-src.pdf"
    )
    out = desk.tmp / f"{name}.pdf"
    signer = load_pkcs12(p12 or desk.pki.digitizer_p12, PASS)
    sign_pdf(source, out, signer, SigningRequest(role=SignerRole.AGENCY, name="UBND xã Thủy Vân"))
    desk.made.append(out)
    return out


def _flip_one_byte(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    at = data.index(b"stream", data.index(b"/DCTDecode")) + 4000  # inside the page image, signed bytes
    data[at] ^= 0x01
    out = path.with_name(f"{path.stem}-flipped.pdf")
    out.write_bytes(bytes(data))
    return out


def _change_after_signing(path: Path) -> Path:
    """An incremental update that draws over page 1: valid PDF, signature intact, content changed."""
    out = path.with_name(f"{path.stem}-changed.pdf")
    with path.open("rb") as f:
        writer = IncrementalPdfFileWriter(f, strict=False)
        patch = writer.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 40 300 200 60 re f Q"))
        writer.add_stream_to_page(0, patch)
        with out.open("wb") as o:
            writer.write(o)
    return out


class _Tsa(BaseHTTPRequestHandler):
    """An RFC 3161 timestamp server over real HTTP, answering with pyHanko's in-process TSA."""

    stamper: DummyTimeStamper

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        reply = self.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


def test_with_a_timestamp_server_the_signature_is_b_t(desk: Desk) -> None:
    tsa = issue(desk.pki.root, "TSA thử nghiệm", timestamping=True, rsa_key=True)
    key_info = asn1_keys.PrivateKeyInfo.load(
        tsa.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    )
    handler = type("Tsa", (_Tsa,), {"stamper": DummyTimeStamper(_asn1(tsa), key_info)})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        source = _download(
            desk, load_document(desk.store, desk.doc_id).searchable_pdf_key or "", "bt-src.pdf"
        )
        out = desk.tmp / "b-t.pdf"
        request = SigningRequest(
            role=SignerRole.DIGITIZER,
            name="Nguyễn Thị Lan",
            tsa_url=f"http://127.0.0.1:{server.server_port}/",
        )
        sign_pdf(source, out, load_pkcs12(desk.pki.digitizer_p12, PASS), request)
    finally:
        server.shutdown()
    desk.made.append(out)
    [check] = verify_pdf(out, desk.pki.anchors)
    assert check.verdict is SignatureVerdict.VALID and check.timestamped
    assert check.signed_at is not None and abs((check.signed_at - check.checked_at).total_seconds()) < 120


def test_tampering_changes_and_unknown_signers_are_each_reported(desk: Desk) -> None:
    good = _signed_result(desk, "result-good")
    assert [c.verdict for c in verify_pdf(good, desk.pki.anchors)] == [SignatureVerdict.VALID]
    [flipped] = verify_pdf(_flip_one_byte(good), desk.pki.anchors)
    assert flipped.verdict is SignatureVerdict.INVALID and "do not match" in flipped.reason_en
    [changed] = verify_pdf(_change_after_signing(good), desk.pki.anchors)
    assert changed.verdict is SignatureVerdict.MODIFIED and not changed.covers_whole_file
    [rogue] = verify_pdf(_signed_result(desk, "result-rogue", desk.pki.rogue_p12), desk.pki.anchors)
    assert rogue.verdict is SignatureVerdict.UNTRUSTED and rogue.signer == "Kẻ giả mạo"
    # With no anchors configured, nobody is trusted; the file itself is still intact.
    assert [c.verdict for c in verify_pdf(good, [])] == [SignatureVerdict.UNTRUSTED]
    assert (
        verify_pdf(
            _download(desk, load_document(desk.store, desk.doc_id).searchable_pdf_key or "", "u.pdf"),
            desk.pki.anchors,
        )
        == []
    )


def test_only_a_pdf_that_may_be_signed_is_handed_to_the_signature_check(desk: Desk) -> None:
    # Ingest asks pikepdf first, so that unsigned scans never load pyHanko; it must never call a signed file
    # unsigned, and says "may be" when it cannot read the form.
    good = _signed_result(desk, "result-presence")
    assert may_be_signed(good) and may_be_signed(_change_after_signing(good))
    unsigned = _download(desk, load_document(desk.store, desk.doc_id).searchable_pdf_key or "", "p.pdf")
    assert not may_be_signed(unsigned)
    # A signature field not yet signed (a form waiting for its signer) holds no signature either.
    empty = desk.tmp / "empty-field.pdf"
    with pikepdf.open(unsigned) as pdf:
        field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, T=pikepdf.String("Ký")))
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
        pdf.save(empty)
    assert not may_be_signed(empty) and verify_pdf(empty, desk.pki.anchors) == []
    # A signed field under a parent that says it is a signature field (the kind is inherited).
    nested = desk.tmp / "nested.pdf"
    with pikepdf.open(good) as pdf:
        fields = pdf.Root.AcroForm.Fields
        parent = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Sig, Kids=pikepdf.Array()))
        for kid in list(fields):
            del kid["/FT"]
            parent.Kids.append(kid)
        pdf.Root.AcroForm.Fields = pikepdf.Array([parent])
        pdf.save(nested)
    assert may_be_signed(nested)
    broken = desk.tmp / "broken-form.pdf"
    with pikepdf.open(unsigned) as pdf:
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Name.Nonsense)
        pdf.save(broken)
    assert not may_be_signed(broken)  # no fields at all is no signature
    assert may_be_signed(desk.tmp / "missing.pdf")  # cannot tell: the check itself will say why


def test_a_result_whose_signature_fails_is_not_offered_for_reuse(desk: Desk) -> None:
    good = _signed_result(desk, "reuse-good")
    variants = {
        "valid": good,
        "invalid": _flip_one_byte(good),
        "modified": _change_after_signing(good),
        "untrusted": _signed_result(desk, "reuse-rogue", desk.pki.rogue_p12),
    }
    owner = "079185000123"
    store, index = FilesystemStore(desk.tmp / "results"), SqliteIndex(desk.tmp / "results.sqlite3")
    stored = {}
    for verdict, path in variants.items():
        meta = IngestMeta(name=path.name, owner_id=owner, kind=DocumentKind.RESULT, agency=AGENCY)
        doc = ingest_file(
            path,
            store=store,
            index=index,
            meta=meta,
            executor=InlineExecutor(),
            trust_anchors=desk.pki.anchors,
        ).document
        assert doc.signature_verdict == SignatureVerdict(verdict), (verdict, doc.signatures)
        stored[doc.id] = verdict
    offered = {d.document.doc_id: d.reuse for d in owner_documents(index, owner)}
    assert {stored[i]: r.reusable for i, r in offered.items()} == {
        "valid": True,
        "invalid": False,
        "modified": False,
        "untrusted": False,
    }
    codes = {stored[i]: [x.code for x in r.reasons] for i, r in offered.items()}
    assert "signature_modified" in codes["modified"] and "signature_untrusted" in codes["untrusted"]


def test_refusals_leave_nothing_signed(desk: Desk, agency_token: Pkcs11Key) -> None:
    with pytest.raises(BadInput, match="passphrase"):
        load_pkcs12(desk.pki.digitizer_p12, "sai mật khẩu")
    with pytest.raises(BadInput, match="PIN"), open_pkcs11(agency_token, "000000"):
        pass
    elsewhere = replace(agency_token, token_label="no-such-token")
    with pytest.raises(BadInput, match="cannot open the signing token"), open_pkcs11(elsewhere, PIN):
        pass
    store, index = FilesystemStore(desk.tmp / "refusals"), SqliteIndex(":memory:")
    page = desk.tmp / "refusal.png"
    make_page(seed=22, size="A5", lines=3).image.save(page, dpi=(300, 300))
    doc = ingest_file(
        page, store=store, index=index, meta=IngestMeta(agency=AGENCY), executor=InlineExecutor()
    )

    def sign_with(p12: Path) -> None:
        request = SigningRequest(role=SignerRole.DIGITIZER, name="Nguyễn Thị Lan")
        signer = load_pkcs12(p12, PASS)
        sign_document(
            store, index, doc.document.id, signer, request, by="staff", trust_anchors=desk.pki.anchors
        )

    # A signer the anchors do not know: the copy would not verify anywhere, so it is not stored.
    with pytest.raises(BadInput, match="does not verify"):
        sign_with(desk.pki.rogue_p12)
    revoke(store, index, doc.document.id, "Cấp sai thông tin", by="officer")
    with pytest.raises(Conflict, match="revoked"):
        sign_with(desk.pki.digitizer_p12)
    assert not [k for k in store.list(f"documents/{doc.document.id}/") if "signed" in k]


def test_cli_sign_and_verify(desk: Desk, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_TRUST_ANCHORS": str(desk.pki.anchors_pem),
    }

    def sohoa(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SOHOA, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env | {"COLUMNS": "200"},
            timeout=300,
        )

    page = tmp_path / "page.png"
    make_page(seed=23, size="A5", lines=3).image.save(page, dpi=(300, 300))
    ingested = sohoa("ingest", str(page), "--agency", AGENCY)
    assert ingested.returncode == 0, ingested.stderr
    doc_id = re.findall(r"\b[0-9a-f]{24}\b", ingested.stdout)[0]
    signed = sohoa(
        "sign",
        doc_id,
        "--by",
        "lan",
        "--p12",
        str(desk.pki.digitizer_p12),
        "--secret-stdin",
        stdin=PASS + "\n",
    )
    assert signed.returncode == 0, signed.stderr
    assert "valid" in signed.stdout and "Nguyễn Thị Lan" in signed.stdout
    ok = sohoa("verify", doc_id)
    assert ok.returncode == 0 and "hợp lệ" in ok.stdout, ok.stdout + ok.stderr
    wrong = sohoa(
        "sign", doc_id, "--by", "lan", "--p12", str(desk.pki.digitizer_p12), "--secret-stdin", stdin="x\n"
    )
    assert wrong.returncode == 2 and "passphrase" in wrong.stderr
    both = sohoa("sign", doc_id, "--by", "lan", "--secret-stdin", stdin="x\n")
    assert both.returncode == 2 and "--p12" in both.stderr
    flipped = _flip_one_byte(_signed_result(desk, "cli"))
    bad = sohoa("verify", str(flipped))
    assert bad.returncode == 1 and "invalid" in bad.stdout
    assert sohoa("verify", str(tmp_path / "none.pdf")).returncode == 2


def test_api_sign_with_the_users_key_and_check(desk: Desk, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", workers=1, trust_anchors=desk.pki.anchors_pem)
    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    people = make_people(store)
    page = tmp_path / "page.png"
    make_page(seed=24, size="A5", lines=3).image.save(page, dpi=(300, 300))
    meta = IngestMeta(owner_id=CITIZEN_A, agency=AGENCY)
    doc_id = ingest_file(page, store=store, index=index, meta=meta, executor=InlineExecutor()).document.id
    settings.keys_dir.mkdir(parents=True)
    (settings.keys_dir / "staff.p12").write_bytes(desk.pki.digitizer_p12.read_bytes())
    backends = Backends(settings, store, index, InlineExecutor(), trust_anchors=desk.pki.anchors)
    with TestClient(create_app(settings, backends=backends), base_url="https://testserver") as c:
        staff, officer, citizen = (people[n].headers for n in ("staff", "officer", "citizen-a"))
        wrong = c.post(f"/api/v1/documents/{doc_id}/sign", json={"passphrase": "sai"}, headers=staff)
        assert wrong.status_code == 422 and "passphrase" in wrong.json()["message_en"]
        no_key = c.post(f"/api/v1/documents/{doc_id}/sign", json={"passphrase": PASS}, headers=officer)
        assert no_key.status_code == 422 and "no signing key" in no_key.json()["message_en"]
        r = c.post(f"/api/v1/documents/{doc_id}/sign", json={"passphrase": PASS}, headers=staff)
        assert r.status_code == 200, r.text
        assert r.json()["copy_signatures"][0]["verdict"] == "valid"
        pdf = c.get(f"/api/v1/documents/{doc_id}/pdf", headers=citizen)
        assert pdf.status_code == 200 and b"/ByteRange" in pdf.content  # the signed copy is what is served
        checks = c.get(f"/api/v1/documents/{doc_id}/signatures", headers=citizen).json()
        assert [s["verdict"] for s in checks["signed_copy"]] == ["valid"] and checks["source"] == []
        assert (
            c.post(f"/api/v1/documents/{doc_id}/sign", json={"passphrase": PASS}, headers=citizen).status_code
            == 403
        )
        trail = [e for e in store.list("audit/")]
        assert trail  # the signing and the reads are on the trail (exact trail: test_access)


def test_every_pdf_made_here_is_pdfa_2b(desk: Desk, metrics: dict[str, str]) -> None:
    # Runs last in this module: the signed copies and results the tests above made, and an unsigned copy.
    unsigned = _download(
        desk, load_document(desk.store, desk.doc_id).searchable_pdf_key or "", "unsigned.pdf"
    )
    pdfs = sorted(set(desk.made) | {unsigned})
    assert len(pdfs) >= 6
    verdicts = validate_pdfa(pdfs)
    metrics["signed and unsigned PDFs validated as PDF/A-2b by veraPDF (test_signatures)"] = str(
        len(verdicts)
    )
    assert {name: failed for name, failed in verdicts.items() if failed} == {}
