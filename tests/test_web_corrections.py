"""A reviewer sees what the OCR correction changed (issue 23): on the document page every corrected word is
marked, with what the recognizer read and how sure it was; the API gives the same from the words record.
A real scan read by the real pipeline, served by `sohoa serve`, seen in Debian's chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from people import AGENCY, Person, add_people
from served import start_serve
from sohoa.api.backends import make_backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.records.access import Role, User
from test_web import AXE, CHROMIUM, PASSWORD, WCAG

SCAN = Path(__file__).parent / "data" / "real_scans" / "vietadmin-1-p2.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Person]]:
    data = tmp_path_factory.mktemp("corrections") / "data"
    backends = make_backends(Settings(data_dir=data, workers=1))
    try:
        officer = add_people(backends.store, [User(username="officer", role=Role.OFFICER, agency=AGENCY)])
        accounts.set_password(backends.store, "officer", PASSWORD)
        meta = IngestMeta(name=SCAN.name, agency=AGENCY, by="staff")
        doc = ingest_file(SCAN, store=backends.store, index=backends.index, meta=meta).document
    finally:
        backends.close()
    env = {**os.environ, "SOHOA_DATA_DIR": str(data), "SOHOA_WORKERS": "1"}
    server, base = start_serve(env, data.parent / "server.log")
    try:
        yield base, doc.id, officer["officer"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_document_page_marks_each_corrected_word_with_what_was_read(
    served: tuple[str, str, Person],
) -> None:
    base, doc_id, officer = served
    words = (
        httpx.get(f"{base}/api/v1/pages/{doc_id}/1/words", headers=officer.headers).raise_for_status().json()
    )
    changed = [w for w in words if w["ocr_text"] is not None]
    assert changed, "the real scan's reading had no correction to show"
    assert all(w["ocr_text"] != w["text"] and w["ocr_confidence"] is not None for w in changed)

    assert Path(CHROMIUM).exists()
    with sync_playwright() as p:
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser: Browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = browser.new_page(locale="vi-VN")
        page.goto(f"{base}/login?next=/documents/{doc_id}")
        page.get_by_label("Tên đăng nhập").fill("officer")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"**/documents/{doc_id}")
        marked = page.locator(".page-text ins.corrected")
        expect(marked.first).to_be_visible()
        assert marked.count() == len(changed)
        titles = marked.evaluate_all("els => els.map(e => e.title)")
        first = changed[0]
        assert f"Máy đọc được: {first['ocr_text']} ({first['ocr_confidence']:.0f}%)" in titles
        assert marked.first.inner_text().strip() == changed[0]["text"]
        expect(page.locator("[data-corrected]")).to_have_attribute("data-corrected", str(len(changed)))
        assert AXE.exists()
        page.evaluate(AXE.read_text())
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
        assert not result["violations"], result["violations"]
        browser.close()
