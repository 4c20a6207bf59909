"""The fields of a document on its web page, in a real browser (the fixtures of test_web): an officer
sees each field under its Vietnamese name with the page it came from, two personal IDs as two inputs,
corrects one and confirms; the stored record keeps both IDs, the correction with what OCR read, who
confirmed, and the confirmed number and validity as its own."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from signed_pages import OWNER, SPOUSE, signed_permit
from sohoa.api.backends import make_backends
from sohoa.api.settings import Settings
from sohoa.archive import accounts
from test_web import Site, _login, _page, _shot, browser, site  # noqa: F401  (fixtures)

CORRECTED = "079185000124"


def _token(site: Site, username: str) -> dict[str, str]:  # noqa: F811
    backends = make_backends(Settings(data_dir=site.hot.parent / "data"))
    try:
        token, _ = accounts.issue_token(backends.store, username, lifetime=timedelta(hours=1))
    finally:
        backends.close()
    return {"Authorization": f"Bearer {token}"}


def test_officer_confirms_two_ids_and_a_validity_on_the_page(
    site: Site,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    scan = tmp_path / "giay-phep-xay-dung.png"
    image, truth = signed_permit()
    image.save(scan, dpi=(300, 300))
    with scan.open("rb") as f:
        r = httpx.post(
            f"{site.url}/api/v1/documents",
            files={"file": (scan.name, f, "image/png")},
            data={"owner_id": OWNER, "kind": "result"},
            headers=_token(site, "staff"),
            timeout=300,
        )
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    assert r.json()["valid_until"] is None  # read, not yet confirmed

    page = _page(browser)
    _login(page, site, "officer", f"/documents/{doc_id}")
    fields = page.locator("[data-fields]")
    expect(fields.get_by_text("Số, ký hiệu")).to_be_visible()
    expect(fields.get_by_text("Có giá trị đến")).to_be_visible()
    expect(fields.get_by_text("Người ký", exact=True)).to_be_visible()
    assert "number_symbol" not in fields.inner_text()  # no raw keys in the Vietnamese page
    ids = fields.get_by_label("Số định danh cá nhân")
    expect(ids).to_have_count(2)
    expect(ids.nth(0)).to_have_value(OWNER)
    expect(ids.nth(1)).to_have_value(SPOUSE)
    expect(fields.locator('tr[data-field="personal_id"]').first).to_contain_text("trang 1")
    expect(fields.get_by_label("Có giá trị đến")).to_have_value(truth["valid_until"])
    ids.nth(1).fill(CORRECTED)
    _shot(page, "officer-fields")
    page.get_by_role("button", name="Xác nhận").click()
    expect(fields.locator("tr[data-confirmed]").first).to_be_visible()
    expect(fields).to_contain_text(f"máy đọc được: {SPOUSE}")
    page.context.close()

    stored = httpx.get(
        f"{site.url}/api/v1/documents/{doc_id}", headers=_token(site, "officer"), timeout=30
    ).json()
    people = [f for f in stored["fields"] if f["name"] == "personal_id"]
    assert [(f["value"], f["confirmed"], f["original"]) for f in people] == [
        (OWNER, True, None),
        (CORRECTED, True, SPOUSE),
    ]
    assert all(f["confirmed_by"] == "officer" and f["confirmed_at"] for f in stored["fields"])
    assert stored["number_symbol"] == truth["number_symbol"]
    assert stored["valid_until"] == truth["valid_until"]
    assert stored["signer"] == truth["signer"] and stored["doc_type"] == "giay-phep"
    assert date.fromisoformat(stored["valid_until"]) < date.today() and stored["validity"] == "expired"
