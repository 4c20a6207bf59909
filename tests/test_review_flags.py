"""Review flags, with real Tesseract: a page built to trigger each flag raises exactly that flag, a clean page
raises none, and a flagged page reaches what people see (the stored document, its index record, the reuse
verdict, the scan station's review list over the API and on the batch page)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from people import AGENCY, make_people
from sohoa.archive import load_document
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.batches import run_batch
from sohoa.ingest.executor import InlineExecutor
from sohoa.ocr.pipeline import PageOutput, process_page
from sohoa.records.batches import CoverSheet, ReviewItem
from sohoa.records.reuse import reusability
from sohoa.samples.scangen import Degradation, blank_back, load_font, make_page, render_page, write_pdf
from sohoa.samples.stacks import build_stack
from sohoa.search.sqlite import SqliteIndex
from sohoa.storage.filesystem import FilesystemStore

OWNER = "001089012345"


def _bgr(image: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)


def _clean() -> Image.Image:
    return make_page(seed=403, size="A5", lines=5).image


def _blurred() -> Image.Image:
    # Out of focus: the letters still read as text (the header comes out almost right), but Tesseract is
    # unsure of most words. Pages read correctly score 88-96; these 35-50, while the text lines still tell
    # the orientation and a quick OCR of each turn still picks upright.
    return make_page(seed=400, size="A5", lines=5, degradation=Degradation(blur=3.5)).image


def _symmetric() -> Image.Image:
    # One line of capitals that look the same upside down (S, O, N, X, H, I): one line is too few for the
    # text lines to vote, too little text for OSD, and the quick OCR reads it equally well at 0° and 180°.
    return render_page(["SOS NOON XOX HIH"], size="A5", header=False)


def _filing_note_on_a_blank_back() -> Image.Image:
    # The back of a one-sided sheet (paper grain, specks, the front showing through) with a short filing
    # note: a handful of letter-sized marks, at the edge of what the blank verdict counts as content.
    front = make_page(seed=1, size="A5", lines=7).image
    back = blank_back(size="A5", bleed_from=front, seed=1)
    ImageDraw.Draw(back).text((1100, 150), "Số lưu: 17", font=load_font("regular", 36), fill=(30, 30, 30))
    return back


@pytest.fixture(scope="module")
def read() -> dict[str, PageOutput]:
    pages = {
        "clean": _clean(),
        "blurred": _blurred(),
        "symmetric": _symmetric(),
        "filing-note": _filing_note_on_a_blank_back(),
    }
    return {name: process_page(_bgr(image), dpi=300) for name, image in pages.items()}


def test_a_clean_upright_page_raises_no_flag(read: dict[str, PageOutput]) -> None:
    a = read["clean"].analysis
    assert a.review_reasons == []
    assert not a.needs_review and not a.blank
    assert a.mean_confidence > 85


def test_a_blurred_page_is_flagged_low_confidence(read: dict[str, PageOutput]) -> None:
    a = read["blurred"].analysis
    assert a.review_reasons == ["low_confidence"]
    assert a.needs_review and not a.blank
    assert a.rotation == 0  # the page was right: only the reading is in doubt
    assert "TƯ PHÁP" in a.text.upper()  # still text, read poorly


def test_a_page_that_reads_the_same_upside_down_is_flagged_orientation_uncertain(
    read: dict[str, PageOutput],
) -> None:
    a = read["symmetric"].analysis
    assert a.review_reasons == ["orientation_uncertain"]
    assert a.needs_review and not a.blank
    assert a.rotation in (0, 180)  # either reads the same: that is the doubt
    assert {"SOS", "NOON", "XOX", "HIH"} <= set(a.text.split())


def test_a_blank_back_with_a_short_note_is_flagged_maybe_blank_not_dropped(
    read: dict[str, PageOutput],
) -> None:
    a = read["filing-note"].analysis
    assert not a.blank  # kept as content: staff decide
    assert a.review_reasons == ["maybe_blank"]
    assert a.needs_review
    assert "17" in a.text


def test_a_flagged_page_makes_its_document_need_review(tmp_path: Path) -> None:
    path = tmp_path / "blurred.png"
    _blurred().save(path, dpi=(300, 300))
    store, index = FilesystemStore(tmp_path / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    meta = IngestMeta(name=path.name, owner_id=OWNER, doc_type="giay-to-mau")
    document = ingest_file(path, store=store, index=index, meta=meta, executor=InlineExecutor()).document
    stored = load_document(store, document.id)
    assert stored.needs_review
    assert [p.review_reasons for p in stored.pages] == [["low_confidence"]]
    # What an officer looking the owner up sees: the record says so, and so does the reuse verdict.
    assert [(r.doc_id, r.needs_review) for r in index.owner_documents(OWNER)] == [(document.id, True)]
    verdict = reusability(stored, date.today(), OWNER)
    assert "needs_review" in [r.code for r in verdict.reasons]


def test_the_scan_station_lists_a_flagged_page_for_review(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from sohoa.api.app import create_app
    from sohoa.api.backends import Backends
    from sohoa.api.settings import Settings

    store, index = FilesystemStore(tmp_path / "data" / "store"), SqliteIndex(tmp_path / "index.sqlite3")
    people = make_people(store)
    cover = CoverSheet(
        dossier_code=f"{AGENCY}-261123-0001", procedure_code="1.001193", owner_id=OWNER, expected_pages=2
    )
    images, _ = build_stack([(cover, [])])
    images += [_clean(), _symmetric()]  # stack pages 2 and 3
    stack = tmp_path / "stack.pdf"
    write_pdf(images, stack)
    batch = run_batch([stack], store=store, index=index, agency=AGENCY, executor=InlineExecutor())
    assert batch.review == [ReviewItem(page=3, reason="orientation_uncertain")]
    assert batch.flagged == 1
    document = load_document(store, batch.groups[0].doc_id or "")
    assert [p.review_reasons for p in document.pages] == [[], ["orientation_uncertain"]]

    settings = Settings(data_dir=tmp_path / "data", workers=1)
    app = create_app(settings, backends=Backends(settings, store, index, InlineExecutor()))
    with TestClient(app, base_url="https://testserver") as c:
        staff = people["staff"].headers
        got = c.get(f"/api/v1/batches/{batch.id}", headers=staff).json()
        assert [(r["page"], r["reason"]) for r in got["review"]] == [(3, "orientation_uncertain")]
        listed = [b for b in c.get("/api/v1/batches", headers=staff).json() if b["id"] == batch.id]
        assert listed[0]["flagged"] == 1
        html = c.get(f"/scan/{batch.id}", headers=staff)
        assert html.status_code == 200, html.text[:500]
        assert 'data-reason="orientation_uncertain"' in html.text
        assert "Chưa chắc chiều trang" in html.text
