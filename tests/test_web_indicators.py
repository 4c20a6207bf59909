"""The indicators page in a real browser (the fixtures of test_web: a real `sohoa serve`, Debian's chromium,
axe-core's audit on each page shown): an officer receives two dossiers and reuses a paper for one, then
reads the month's digitization and reuse rates; the figures on the page are the API's. An administrator
signs in to the same page, for every agency."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Browser, Page, expect

from people import CITIZEN_A
from sohoa.records.models import LOCAL_TZ
from test_web import Site, _login, _page, _shot, browser, site  # noqa: F401 (fixtures)

FIELDS = ("dossiers_received", "digitized", "digitization_rate", "reused", "needed", "reuse_rate")


def _receive(page: Page, name: str) -> None:
    page.get_by_role("link", name="Tiếp nhận hồ sơ").click()
    page.get_by_label("Tên thủ tục").fill("Đăng ký thường trú")
    page.get_by_label("Số định danh người nộp").fill(CITIZEN_A)
    page.get_by_label("Họ tên người nộp").fill(name)
    page.get_by_role("button", name="Tiếp nhận").click()
    page.wait_for_url("**/dossiers/000.00.11.H29-*")


def _shown(page: Page, month: str) -> dict[str, str]:
    row = page.locator(f'[data-indicators] tr[data-month="{month}"]')
    return {f: row.locator(f'[data-field="{f}"]').inner_text().strip() for f in FIELDS}


def _percent(rate: float, lang: str = "vi") -> str:
    shown = f"{rate * 100:.1f}%"
    return shown if lang == "en" else shown.replace(".", ",")


def _from_api(m: dict) -> dict[str, str]:
    return {
        "dossiers_received": str(m["dossiers_received"]),
        "digitized": str(m["digitized"]),
        # A rate over nothing is a dash on the page (0.0 in the API).
        "digitization_rate": _percent(m["digitization_rate"]) if m["dossiers_received"] else "—",
        "reused": str(m["reused"]),
        "needed": str(m["needed"]),
        "reuse_rate": _percent(m["reuse_rate"]) if m["needed"] else "—",
    }


def test_officer_and_admin_read_the_rates_by_month(site: Site, browser: Browser) -> None:  # noqa: F811
    page = _page(browser)
    _login(page, site, "officer", "/search")
    _receive(page, "Nguyễn Thị Lan")
    page.locator(f'.candidate[data-doc="{site.doc_a}"]').get_by_role(
        "button", name="Dùng lại cho hồ sơ này"
    ).click()
    expect(page.locator("[data-linked] li")).to_have_count(1)
    _receive(page, "Nguyễn Thị Lan")  # a second dossier, nothing digitized for it yet

    page.get_by_role("link", name="Chỉ số số hóa").click()
    expect(page.get_by_role("heading", name="Chỉ số số hóa")).to_be_visible()
    month = datetime.now(LOCAL_TZ).strftime("%Y-%m")
    # Two dossiers received, one digitized (its one component reused): 50% and 100%.
    assert _shown(page, month) == {
        "dossiers_received": "2", "digitized": "1", "digitization_rate": "50,0%",
        "reused": "1", "needed": "1", "reuse_rate": "100,0%",
    }  # fmt: skip
    start, end = page.locator("#from").input_value(), page.locator("#to").input_value()
    api = page.request.get(f"{site.url}/api/v1/metrics/digitization", params={"from": start, "to": end})
    assert api.ok, api.text()
    figures = api.json()
    assert figures["agency"] == "000.00.11.H29"
    for m in figures["months"]:
        assert _shown(page, m["month"]) == _from_api(m)
    assert _shown(page, "total") == _from_api(
        {
            "dossiers_received": figures["dossiers_received"],
            "digitized": figures["dossiers_digitized"],
            "digitization_rate": figures["digitization_rate"],
            "reused": figures["documents_reused"],
            "needed": figures["documents_needed"],
            "reuse_rate": figures["reuse_rate"],
        }
    )
    expect(page.locator("#agency")).to_have_attribute("readonly", "")  # an officer's own agency only
    _shot(page, "officer-indicators")

    # A period that ends before it starts: said on the page, in the person's language.
    page.goto(f"{site.url}/indicators?from=2025-05-01&to=2025-04-01")
    expect(page.get_by_role("alert")).to_contain_text("Ngày kết thúc trước ngày bắt đầu")
    page.get_by_role("link", name="English").click()
    page.goto(f"{site.url}/indicators?from=2025-05-01&to=2025-04-01")
    expect(page.get_by_role("alert")).to_contain_text("the period ends before it starts")
    expect(page.locator('[data-month="total"] [data-field="reuse_rate"]')).to_have_count(0)
    page.context.close()

    # An administrator signs in to the web pages and lands on the indicators, for every agency.
    admin = _page(browser)
    _login(admin, site, "admin")
    expect(admin).to_have_url(f"{site.url}/indicators")
    expect(admin.get_by_role("link", name="Chỉ số số hóa")).to_have_attribute("aria-current", "page")
    assert _shown(admin, month)["dossiers_received"] == "2"
    admin.get_by_label("Cơ quan tiếp nhận").fill("000.00.12.H29")
    admin.get_by_role("button", name="Xem").click()
    admin.wait_for_url("**agency=000.00.12.H29**")
    assert _shown(admin, "total") == {
        "dossiers_received": "0", "digitized": "0", "digitization_rate": "—",
        "reused": "0", "needed": "0", "reuse_rate": "—",
    }  # fmt: skip
    _shot(admin, "admin-indicators")
    admin.context.close()

    # Staff and citizens are not shown the page.
    staff = _page(browser)
    _login(staff, site, "staff", "/indicators")
    expect(staff.get_by_role("main")).to_contain_text("Bạn không có quyền xem trang này.")
    staff.context.close()
