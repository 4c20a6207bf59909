"""The staff page that imports a dossier package (issue 24), in a real browser: Debian's chromium driven by
Playwright against a real `sohoa serve` (the fixtures of test_web, axe-core's audit on each page shown),
with a package exported in the test from a dossier made at another installation. Staff import it through
the form and see the dossier link and the count; the same package again stores nothing new; a package with
one flipped byte shows the refusal in Vietnamese and in English and stores nothing; so does one over the
upload limit; an officer cannot reach the form, an admin can."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from playwright.sync_api import Browser, Page, Response, expect

from people import AGENCY, CITIZEN_A
from sohoa.api.backends import make_backends
from sohoa.api.packages import installation_signer
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.archive import package_layout as layout
from sohoa.archive.dossiers import create_dossier, load_dossier
from sohoa.archive.package_checks import check_package
from sohoa.archive.package_export import export_dossier
from sohoa.errors import SohoaError
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.access import Role, User
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.samples.pki import issue, make_ca
from sohoa.samples.scangen import make_page
from sohoa.storage.filesystem import FilesystemStore
from test_package import PASS, _flip, _repack, _unpack
from test_web import PASSWORD, SOHOA, _free_port, _login, _page, _shot, browser  # noqa: F401 (fixture)

FORM = "/packages/import"


@dataclass
class Receiving:
    """The installation that receives the package, served by `sohoa serve`."""

    url: str
    package: Path  # exported by the other installation
    code: str  # its dossier
    doc: str  # the dossier's one scanned document
    master_in_bag: str  # that document's master, as the bag names it
    anchors: list[asn1_x509.Certificate]
    keys: Callable[[], set[str]]  # the records: not the audit trail, sessions, or the events' outbox
    limit: int  # SOHOA_MAX_UPLOAD_BYTES here


def _export(tmp: Path) -> tuple[Path, str, str, str, Path, list[asn1_x509.Certificate]]:
    """A dossier with one scanned page at the sending installation, exported as a package sealed by it."""
    root = make_ca("Root CA thử nghiệm sohoa")
    anchors_pem = root.cert_pem(tmp / "anchors.pem")
    anchors = [asn1_x509.Certificate.load(root.cert.public_bytes(Encoding.DER))]
    sender = Settings(
        data_dir=tmp / "sender",
        workers=1,
        trust_anchors=anchors_pem,
        package_key=issue(root, "Trung tâm PVHCC tỉnh A").pkcs12(tmp / "installation.p12", PASS),
        package_key_passphrase=PASS,
    )
    backends = make_backends(sender)
    try:
        store, index = backends.store, backends.index
        new = NewDossier(
            agency=AGENCY,
            procedure_code="1.001193",
            procedure_name="Cấp giấy phép xây dựng",
            applicant=Applicant(id_number=CITIZEN_A, name="Nguyễn Văn An"),
        )
        code = create_dossier(store, index, new, by="officer").code
        scan = tmp / "don.png"
        make_page(seed=52, size="A5", lines=3).image.save(scan, dpi=(300, 300))
        meta = IngestMeta(name=scan.name, agency=AGENCY, dossier_code=code, by="staff")
        doc = ingest_file(
            scan, store=store, index=index, meta=meta, executor=InlineExecutor(), trust_anchors=anchors
        ).document
        package = export_dossier(
            store,
            load_dossier(store, code),
            tmp / "package.zip",
            signer=installation_signer(sender),
            anchors=anchors,
            by="staff",
        ).path
    finally:
        backends.close()
    return package, code, doc.id, layout.in_bag(doc.master_key), anchors_pem, anchors


@pytest.fixture(scope="module")
def receiving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiving]:
    tmp = tmp_path_factory.mktemp("import-web")
    package, code, doc, master_in_bag, anchors_pem, anchors = _export(tmp)
    data = tmp / "receiver"
    backends = make_backends(Settings(data_dir=data, workers=1))
    try:
        for user in [
            User(username="staff", role=Role.STAFF, agency=AGENCY),
            User(username="officer", role=Role.OFFICER, agency=AGENCY),
            User(username="admin", role=Role.ADMIN),
        ]:
            accounts.add_user(backends.store, user)
            accounts.set_password(backends.store, user.username, PASSWORD)
    finally:
        backends.close()
    limit = package.stat().st_size * 2
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(data),
        "SOHOA_WORKERS": "1",
        "SOHOA_TRUST_ANCHORS": str(anchors_pem),
        "SOHOA_MAX_UPLOAD_BYTES": str(limit),
        "SOHOA_PENDING_SECONDS": "0",
    }
    port = _free_port()
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [SOHOA, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
    )

    def keys() -> set[str]:
        # The outbox holds events on their way to subscribers: the delivery loop empties it at its pace.
        stored = FilesystemStore(data / "store").list("")
        return {k for k in stored if not k.startswith(("audit/", "credentials/", "outbox/"))}

    try:
        for _ in range(300):
            assert server.poll() is None, (tmp / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("sohoa serve did not answer")
        yield Receiving(f"http://localhost:{port}", package, code, doc, master_in_bag, anchors, keys, limit)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _submit(page: Page, package: Path, button: str = "Nhập gói") -> Response:
    """Choose `package` in the form and send it; what the import answered."""
    page.get_by_label(re.compile("^(Gói hồ sơ|Dossier package)")).set_input_files(package)
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/api/v1/packages")) as answer:
        page.get_by_role("button", name=button, exact=True).click()
    return answer.value


def _refusal(package: Path, receiving: Receiving) -> SohoaError:
    """What the import's checks say of `package`, found in-process: the message the page must show."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            check_package(package, Path(scratch), receiving.anchors, max_bytes=receiving.limit)
        except SohoaError as exc:
            return exc
    raise AssertionError("the package passed its checks")


def test_staff_import_a_package_and_the_same_one_again_stores_nothing_new(
    receiving: Receiving,
    browser: Browser,  # noqa: F811
) -> None:
    page = _page(browser)
    _login(page, receiving, "staff", "/scan")
    page.get_by_role("link", name="Nhập gói hồ sơ").click()
    page.wait_for_url(f"**{FORM}")
    _shot(page, "import-package")
    # Staff import for their own agency, which will hold the dossier: no agency to name.
    expect(page.locator("[data-import-agency]")).to_contain_text(AGENCY)
    expect(page.locator("input#agency")).to_have_count(0)
    result = page.locator("[data-import-result]")
    expect(result).to_be_hidden()

    before = receiving.keys()
    first = _submit(page, receiving.package)
    assert first.status == 200
    expect(result).to_be_visible()
    expect(result.get_by_text("Đã nhập hồ sơ và các giấy tờ trong gói.")).to_be_visible()
    expect(result.get_by_text("không lưu gì thêm")).to_be_hidden()
    dossier_link = result.get_by_role("link", name=receiving.code)
    expect(dossier_link).to_have_attribute("href", f"/dossiers/{receiving.code}")
    expect(result.locator("[data-documents]")).to_have_text("1")
    expect(result.locator("[data-document-list] a")).to_have_text([receiving.doc])
    stored = receiving.keys()
    assert f"dossiers/{receiving.code}/manifest.json" in stored - before
    assert any(k.startswith(f"documents/{receiving.doc}/master/") for k in stored - before)
    assert first.json()["written"] > 0
    expect(result.locator("[data-written]")).to_have_text(str(first.json()["written"]))
    _shot(page, "import-package-done")

    assert _submit(page, receiving.package).status == 200
    expect(result.get_by_text("Gói này đã được nhập trước đây: không lưu gì thêm.")).to_be_visible()
    expect(result.get_by_text("Đã nhập hồ sơ và các giấy tờ trong gói.")).to_be_hidden()
    expect(result.locator("[data-written]")).to_have_text("0")
    assert receiving.keys() == stored

    dossier_link.click()  # the imported dossier, as this installation now holds it
    page.wait_for_url(f"**/dossiers/{receiving.code}")
    expect(page.locator("h1")).to_contain_text(receiving.code)
    expect(page.locator("[data-linked] li")).to_have_count(1)


def test_a_package_with_one_flipped_byte_is_refused_with_its_message_and_nothing_stored(
    receiving: Receiving,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    bag = _unpack(receiving.package, tmp_path / "u")
    _flip(layout.file_in(bag, receiving.master_in_bag))
    tampered = tmp_path / "tampered.zip"
    _repack(bag, tampered)
    refusal = _refusal(tampered, receiving)
    assert "does not match its sha256" in refusal.en

    page = _page(browser)
    _login(page, receiving, "staff", FORM)
    before = receiving.keys()
    assert _submit(page, tampered).status == 422
    message = page.locator("#message")
    expect(message).to_have_text(refusal.vi)
    expect(message).to_have_class("message error")
    expect(page.locator("[data-import-result]")).to_be_hidden()
    _shot(page, "import-package-refused")

    page.goto(f"{receiving.url}/lang/en?next={FORM}")
    assert _submit(page, tampered, "Import").status == 422
    expect(message).to_have_text(refusal.en)
    assert receiving.keys() == before  # nothing stored, in either try


def test_a_package_over_the_upload_limit_is_refused_and_nothing_stored(
    receiving: Receiving,
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    over = tmp_path / "over.zip"  # one byte over: cut off by the import's own streaming read
    over.write_bytes(receiving.package.read_bytes().ljust(receiving.limit + 1, b"\0"))
    far_over = tmp_path / "far-over.zip"  # refused from its declared length, before anything reads it
    far_over.write_bytes(receiving.package.read_bytes() * 3)
    page = _page(browser)
    _login(page, receiving, "staff", FORM)
    before = receiving.keys()
    message = page.locator("#message")
    assert _submit(page, over).status == 413
    expect(message).to_have_text(f"Gói hồ sơ vượt quá {receiving.limit:,} byte")
    assert _submit(page, far_over).status == 413
    expect(message).to_contain_text("vượt quá")
    expect(page.locator("[data-import-result]")).to_be_hidden()
    assert receiving.keys() == before


def test_only_staff_and_admins_reach_the_form(
    receiving: Receiving,
    browser: Browser,  # noqa: F811
) -> None:
    page = _page(browser)
    page.goto(f"{receiving.url}{FORM}")  # no one signed in: the way to sign in first
    page.wait_for_url(f"**/login?next={FORM}")

    _login(page, receiving, "officer", "/search")
    expect(page.get_by_role("link", name="Nhập gói hồ sơ")).to_have_count(0)
    answer = page.goto(f"{receiving.url}{FORM}")
    assert answer is not None and answer.status == 403
    expect(page.get_by_text("Bạn không có quyền xem trang này.")).to_be_visible()
    expect(page.locator("[data-import-package]")).to_have_count(0)
    # Nor may the officer's session import behind the page's back.
    status = page.evaluate(
        """async () => (await fetch("/api/v1/packages", {method: "POST", body: "PK",
            headers: {"Content-Type": "application/zip",
                      "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}})).status"""
    )
    assert status == 403

    admin = _page(browser)
    _login(admin, receiving, "admin", "/indicators")
    admin.get_by_role("link", name="Nhập gói hồ sơ").click()
    admin.wait_for_url(f"**{FORM}")
    expect(admin.locator("[data-import-package]")).to_be_visible()
    # An administrator belongs to no agency: the page asks which one will hold the dossier.
    district = "000.00.20.H29"
    admin.get_by_label("Cơ quan nhập hồ sơ (mã)").fill(district)
    answer = _submit(admin, receiving.package)
    assert answer.status == 200 and answer.json()["agency"] == district, answer.text()
    expect(admin.locator("[data-import-result]")).to_be_visible()
    held = receiving.keys()  # the grant, under the key storage.keys gives it
    assert f"dossiers/{receiving.code}/held-by/{district}.json" in held
