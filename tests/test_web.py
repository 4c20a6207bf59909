"""The web pages in a real browser: Playwright drives Debian's chromium (headless) against a real `sohoa
serve` process over HTTP, with real OCR behind it. Each user's main path: staff run a batch and fix a
flagged page; an officer searches "giay khai sinh" without diacritics, sees the words marked on the page
image, and attaches the applicant's earlier document to a new dossier; a citizen sees their own documents
and nobody else's. Screenshots go to the test artefacts (and, with SOHOA_UPDATE_SCREENSHOTS=1, to the
README's docs/screenshots)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from people import AGENCY, CITIZEN_A, CITIZEN_B
from sohoa.api.backends import make_backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.records.access import Role, User
from sohoa.records.batches import CoverSheet
from sohoa.records.models import DocumentKind
from sohoa.samples.scangen import Degradation, degrade, make_page, render_page, write_pdf
from sohoa.samples.stacks import blank, build_stack

SOHOA = str(Path(sys.executable).parent / "sohoa")
CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = Path(os.environ.get("SOHOA_ARTEFACTS", ROOT / "build" / "artefacts")) / "web"
README_SHOTS = ROOT / "docs" / "screenshots"
# axe-core, from the npm registry at set-up (package.json; `make test` runs npm ci): the accessibility audit.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "mat-khau-thu-nghiem-2026"
OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    doc_a: str  # citizen A's birth certificate, digitized earlier
    doc_b: str  # citizen B's paper
    hot: Path  # the station's hot folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _birth_certificate(path: Path) -> None:
    lines = [
        "GIẤY KHAI SINH",
        "Họ, chữ đệm, tên: NGUYỄN THỊ LAN",
        "Ngày, tháng, năm sinh: 12/03/2019",
        "Giới tính: Nữ. Dân tộc: Kinh. Quốc tịch: Việt Nam",
        f"Số định danh cá nhân: {CITIZEN_A}",
        "Nơi sinh: Bệnh viện Phụ sản Hà Nội",
        "Họ, chữ đệm, tên người mẹ: TRẦN THỊ HOA",
        "Họ, chữ đệm, tên người cha: NGUYỄN VĂN AN",
    ]
    image = degrade(render_page(lines, seed=3, size="A5"), Degradation(skew_deg=1.0), seed=3)
    image.save(path, dpi=(300, 300))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web") / "data"
    settings = Settings(data_dir=data, workers=2)
    backends = make_backends(settings)
    try:
        for user in [
            User(username="staff", role=Role.STAFF, agency=AGENCY),
            User(username="officer", role=Role.OFFICER, agency=AGENCY),
            User(username="citizen-a", role=Role.CITIZEN, personal_id=CITIZEN_A),
            User(username="citizen-b", role=Role.CITIZEN, personal_id=CITIZEN_B),
            User(username="admin", role=Role.ADMIN),
        ]:
            accounts.add_user(backends.store, user)
            accounts.set_password(backends.store, user.username, PASSWORD)
        scans = data.parent
        _birth_certificate(scans / "ks.png")
        make_page(seed=91, size="A5", lines=5).image.save(scans / "b.png", dpi=(300, 300))
        ids = []
        for name, owner, doc_type, kind in [
            ("ks.png", CITIZEN_A, "giay-khai-sinh", DocumentKind.RESULT),
            ("b.png", CITIZEN_B, None, DocumentKind.COMPONENT),
        ]:
            meta = IngestMeta(
                name=name, owner_id=owner, doc_type=doc_type, kind=kind, agency=AGENCY, by="staff",
                title="Giấy khai sinh" if doc_type else None,
            )  # fmt: skip
            outcome = ingest_file(
                scans / name, store=backends.store, index=backends.index, meta=meta, options=backends.options
            )
            ids.append(outcome.document.id)
    finally:
        backends.close()
    port = _free_port()
    hot = data.parent / "hot"
    env = {
        **os.environ,
        "SOHOA_DATA_DIR": str(data),
        "SOHOA_WORKERS": "2",
        "SOHOA_HOT_FOLDER": str(hot),
        "SOHOA_HOT_FOLDER_SETTLE": "0.5",
    }
    log = (data.parent / "server.log").open("w")
    server = subprocess.Popen(
        [SOHOA, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://localhost:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pytest.fail("sohoa serve did not answer")
        if server.poll() is not None:
            pytest.fail("sohoa serve exited:\n" + (data.parent / "server.log").read_text()[-3000:])
        yield Site(url, ids[0], ids[1], hot)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing (apt-get install chromium)"
    with sync_playwright() as p:
        # As root (CI containers) chromium's sandbox cannot start; elsewhere it stays on.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


def _page(browser: Browser, viewport: dict[str, int] = OFFICE) -> Page:
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def _login(page: Page, site: Site, username: str, then: str = "/") -> None:
    page.goto(f"{site.url}/login?next={then}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda u: "/login" not in u)


def _audit(page: Page) -> None:
    """axe-core's WCAG 2.x A and AA rules on the page as shown: any violation fails the test, with its
    rule, impact and the elements concerned."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci` (make test does)"
    # Evaluated through the DevTools protocol, which the pages' CSP (scripts from 'self' only) allows.
    page.evaluate(AXE.read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(n["target"][0] for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not problems, f"accessibility on {page.url}:\n" + "\n".join(problems)


def _shot(page: Page, name: str) -> None:
    """A screenshot as a test artefact; for the README, a small palette PNG of it. Every page shown is
    audited for accessibility first."""
    _audit(page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    full = ARTEFACTS / f"{name}.png"
    page.screenshot(path=full)
    if os.environ.get("SOHOA_UPDATE_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(full) as image:
            small = image.convert("RGB")
            small.thumbnail((1000, 1000))
            small.quantize(colors=64).save(README_SHOTS / f"{name}.png", optimize=True)


def test_a_person_not_signed_in_is_sent_to_the_login_page(site: Site, browser: Browser) -> None:
    page = _page(browser)
    page.goto(f"{site.url}/search?q=ho+so")
    expect(page).to_have_url(f"{site.url}/login?next=/search%3Fq%3Dho%2Bso")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill("officer")
    page.get_by_label("Mật khẩu").fill("wrong")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#message")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu")
    _shot(page, "login")
    page.context.close()


def test_officer_finds_a_birth_certificate_sees_it_marked_and_reuses_it(site: Site, browser: Browser) -> None:
    page = _page(browser)
    _login(page, site, "officer", "/search")
    page.get_by_role("searchbox").fill("giay khai sinh")  # typed without diacritics
    page.get_by_role("button", name="Tìm", exact=True).click()
    hit = page.locator(".hit").first
    expect(hit.locator("mark").first).to_be_visible()
    expect(page.locator(".hit a").first).to_have_attribute(
        "href", f"/documents/{site.doc_a}?page=1&q=giay%20khai%20sinh"
    )
    _shot(page, "officer-search")
    hit.locator("a").click()
    page.wait_for_url(f"**/documents/{site.doc_a}?**")
    marked = page.locator("svg rect.hl")
    expect(marked.first).to_be_visible()
    assert marked.count() >= 3  # GIẤY, KHAI, SINH, boxed where OCR found them on the image
    texts = page.locator(".page-text mark").all_inner_texts()
    assert {"GIẤY", "KHAI", "SINH"} <= {t.strip(".,:") for t in texts}
    image = page.locator(".page-image img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    _shot(page, "officer-document")

    # A new dossier for the same citizen: her birth certificate is offered, and attached in one click.
    page.get_by_role("link", name="Tiếp nhận hồ sơ").click()
    page.get_by_label("Tên thủ tục").fill("Đăng ký thường trú")
    page.get_by_label("Số định danh người nộp").fill(CITIZEN_A)
    page.get_by_label("Họ tên người nộp").fill("Nguyễn Thị Lan")
    page.get_by_role("button", name="Tiếp nhận").click()
    page.wait_for_url("**/dossiers/000.00.11.H29-*")
    offer = page.locator(f'.candidate[data-doc="{site.doc_a}"]')
    expect(offer).to_contain_text("Còn hiệu lực")
    assert page.locator(f'.candidate[data-doc="{site.doc_b}"]').count() == 0  # someone else's
    _shot(page, "officer-dossier")
    offer.get_by_role("button", name="Dùng lại cho hồ sơ này").click()
    linked = page.locator("[data-linked] li")
    expect(linked).to_have_count(1)
    expect(linked.first).to_contain_text("dùng lại")
    assert page.locator(f'.candidate[data-doc="{site.doc_a}"]').count() == 0
    page.context.close()


def test_citizen_sees_only_her_own_documents_on_a_phone(site: Site, browser: Browser) -> None:
    page = _page(browser, PHONE)
    _login(page, site, "citizen-a")
    expect(page).to_have_url(f"{site.url}/my")
    expect(page.get_by_role("heading", name="Giấy tờ của tôi")).to_be_visible()
    cards = page.locator("[data-my-docs] .doc")
    expect(cards).to_have_count(1)
    expect(cards.first).to_have_attribute("data-doc", site.doc_a)
    expect(cards.first).to_contain_text("Còn hiệu lực")
    expect(cards.first.get_by_role("link", name="Tải về (PDF)")).to_have_attribute(
        "href", f"/api/v1/documents/{site.doc_a}/pdf"
    )
    _shot(page, "citizen-my-documents")
    with page.expect_download() as download:
        cards.first.get_by_role("link", name="Tải về (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # Someone else's document: not found, exactly as if it did not exist. The officers' pages: refused.
    page.goto(f"{site.url}/documents/{site.doc_b}")
    expect(page.locator(".error")).to_contain_text("Không tìm thấy tài liệu")
    response = page.goto(f"{site.url}/search?q=giay")
    assert response is not None and response.status == 403

    # In English, on request.
    page.goto(f"{site.url}/my")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="My documents")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.context.close()


def test_staff_run_a_batch_and_fix_a_flagged_page(site: Site, browser: Browser, tmp_path: Path) -> None:
    cover = CoverSheet(
        dossier_code=f"{AGENCY}-261123-0042", procedure_code="1.001193", owner_id=CITIZEN_A, expected_pages=2
    )
    first = make_page(seed=95, size="A5", lines=4)
    # The second sheet reached the scanner face down: sohoa sees a blank page where the cover promised one.
    images, _ = build_stack([(cover, [first, blank(7, bleed_from=first.image)])])
    stack = tmp_path / "ho-so-0042.pdf"
    write_pdf(images, stack)

    page = _page(browser)
    _login(page, site, "staff")
    expect(page).to_have_url(f"{site.url}/scan")
    page.get_by_label("Tệp quét (PDF, TIFF, PNG, JPEG), theo thứ tự").set_input_files(stack)
    page.get_by_label("Tên lô").fill("Hồ sơ 0042")
    page.get_by_role("button", name="Bắt đầu").click()
    page.wait_for_url("**/scan/*")
    expect(page.locator("progress")).to_be_visible()
    _shot(page, "staff-batch-running")
    # The page follows the batch live and shows the outcome when it is done.
    expect(page.locator("[data-batch]")).to_have_attribute("data-status", "done", timeout=180_000)
    mismatch = page.locator('.review-item[data-reason="page_count_mismatch"]')
    expect(mismatch).to_be_visible()
    expect(page.locator(".thumb")).to_have_count(3)
    _shot(page, "staff-batch-review")

    mismatch.get_by_role("button", name="Không phải trang trắng").click()
    expect(page.locator('.review-item[data-reason="page_count_mismatch"]')).to_have_count(0, timeout=120_000)
    row = page.locator('tr[data-group="0"]')
    expect(row).to_contain_text("2, 3")
    expect(row).not_to_contain_text("≠")
    # The upload was a job from the start; the scan station lists it, done, with its pages.
    page.goto(f"{site.url}/scan")
    job = page.locator("tr[data-job]", has_text="Hồ sơ 0042")
    expect(job).to_have_attribute("data-state", "done")
    expect(job).to_contain_text("tải lên lô quét")
    expect(job).to_contain_text("3/3")
    page.context.close()


def test_staff_scan_on_the_sane_test_device_from_the_page(site: Site, browser: Browser) -> None:
    page = _page(browser)
    _login(page, site, "staff")
    form = page.locator("[data-scan-batch]")
    form.get_by_label("Thiết bị (scanimage -L)").fill("test")
    form.get_by_label("Khay giấy").fill("Automatic Document Feeder")
    form.get_by_label("Chế độ màu").select_option("Gray")
    form.get_by_label("DPI").fill("75")
    form.get_by_label("Số trang (để trống: hết khay)").fill("2")
    form.get_by_role("button", name="Quét", exact=True).click()
    page.wait_for_url("**/scan/scan-*")
    expect(page.locator("[data-batch]")).to_have_attribute("data-status", "done", timeout=180_000)
    expect(page.locator(".thumb")).to_have_count(2)
    expect(page.locator("[data-batch]")).to_contain_text("2/2")

    # A device that is not there: the batch ends as failed, with the scanner's own words.
    page.goto(f"{site.url}/scan")
    form = page.locator("[data-scan-batch]")
    form.get_by_label("Thiết bị (scanimage -L)").fill("no-such-scanner:0")
    form.get_by_role("button", name="Quét", exact=True).click()
    page.wait_for_url("**/scan/scan-*")
    expect(page.locator("[data-batch]")).to_have_attribute("data-status", "failed", timeout=60_000)
    expect(page.locator("[data-batch] .error")).to_contain_text("scanner error")
    page.context.close()


def test_staff_read_the_hot_folder_from_the_page(site: Site, browser: Browser) -> None:
    site.hot.mkdir(exist_ok=True)
    # A file that is no scan refuses the batch: everything is put back, nothing is read.
    (site.hot / "a-notes.pdf").write_bytes(b"not a pdf at all")
    make_page(seed=97, size="A5", lines=3).image.save(site.hot / "b-scan.png", dpi=(300, 300))
    (site.hot / "c-still-writing.pdf.part").write_bytes(b"%PDF-1.7 ...")  # the scanner is not done
    time.sleep(0.6)
    page = _page(browser)
    _login(page, site, "staff")
    form = page.locator("[data-folder-batch]")
    expect(form.locator("[data-ready]")).to_have_text("2")
    form.get_by_role("button", name="Đọc thành một lô").click()
    expect(page.locator("#message")).to_contain_text("a-notes.pdf")
    assert sorted(p.name for p in site.hot.iterdir() if p.is_file()) == [
        "a-notes.pdf", "b-scan.png", "c-still-writing.pdf.part"
    ]  # fmt: skip

    (site.hot / "a-notes.pdf").unlink()
    page.reload()
    form = page.locator("[data-folder-batch]")
    expect(form.locator("[data-ready]")).to_have_text("1")
    _shot(page, "staff-scan-station")
    form.get_by_role("button", name="Đọc thành một lô").click()
    page.wait_for_url("**/scan/*")
    expect(page.locator("[data-batch]")).to_have_attribute("data-status", "done", timeout=180_000)
    expect(page.locator(".thumb")).to_have_count(1)
    assert (site.hot / "done" / "b-scan.png").exists()
    assert (site.hot / "c-still-writing.pdf.part").exists()
    page.context.close()
