"""An officer correcting a document's facts on its web page, in a real browser (the Playwright fixtures of
test_web: Debian's chromium against a real `sohoa serve`): the page is titled for what the paper is, a past
valid-until date turns its badge to "Hết hiệu lực", the change shows in the page's history, and the citizen's
own page says the same."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

import test_web
from test_web import Site, _login, _page, _shot

# test_web's fixtures: this module gets its own server and browser from them.
site = test_web.site
browser = test_web.browser


def test_officer_sets_a_past_valid_until_and_the_badge_turns_expired(site: Site, browser: Browser) -> None:
    page = _page(browser)
    _login(page, site, "officer", f"/documents/{site.doc_a}")
    # Titled for what it is (its type; the number once known), never the file name it arrived in.
    expect(page.get_by_role("heading", level=1)).to_have_text("Giấy khai sinh")
    expect(page.locator("[data-validity]")).to_have_text("Còn hiệu lực")
    page.locator("#fact-valid_from").fill("2019-03-20")
    page.locator("#fact-valid_until").fill("2020-12-31")
    page.locator("#fact-number_symbol").fill("15/KS-UBND")
    page.locator("#fact-signer").fill("Trần Văn Cường")
    _shot(page, "officer-edit-facts")
    page.get_by_role("button", name="Lưu thông tin").click()
    expect(page.locator("[data-validity]")).to_have_text("Hết hiệu lực")
    expect(page.get_by_role("heading", level=1)).to_have_text("Giấy khai sinh 15/KS-UBND")
    history = page.locator("[data-edits] tbody tr")
    expect(history).to_have_count(4)
    expect(page.locator("[data-edits]")).to_contain_text("2020-12-31")
    expect(page.locator("[data-edits]")).to_contain_text("officer")
    assert page.locator("#fact-valid_until").input_value() == "2020-12-31"

    # A bad value is refused with the reason, and nothing changes.
    page.locator("#fact-valid_from").fill("2021-06-01")
    page.get_by_role("button", name="Lưu thông tin").click()
    expect(page.locator("#message")).to_contain_text("trước ngày có hiệu lực")
    page.reload()
    assert page.locator("#fact-valid_from").input_value() == "2019-03-20"
    expect(history).to_have_count(4)
    page.context.close()

    # The citizen sees the same: her paper, kept, marked expired, with why it cannot be reused.
    page = _page(browser)
    _login(page, site, "citizen-a")
    card = page.locator(f'[data-my-docs] .doc[data-doc="{site.doc_a}"]')
    expect(card).to_contain_text("Hết hiệu lực")
    expect(card).to_contain_text("Hết hiệu lực từ sau ngày 2020-12-31")
    expect(card.get_by_role("heading")).to_have_text("Giấy khai sinh 15/KS-UBND")
    page.goto(f"{site.url}/documents/{site.doc_a}")
    expect(page.locator("[data-validity]")).to_have_text("Hết hiệu lực")
    assert page.locator("#fact-valid_until").count() == 0  # no form for her: the facts as a list
    expect(page.locator('[data-fact="valid_until"]')).to_have_text("2020-12-31")
    page.context.close()
