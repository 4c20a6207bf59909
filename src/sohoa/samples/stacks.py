"""Scanned stacks for tests and benchmarks: dossiers behind their cover sheets, as a duplex document scanner
feeds them (pages, blank backs, now and then a page turned), with the truth of how the stack must be cut."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image

from sohoa.records.batches import CoverSheet
from sohoa.samples.scangen import Degradation, SamplePage, blank_back, make_page
from sohoa.scanners.coversheet import cover_sheet_image


@dataclass
class StackTruth:
    covers: list[int] = field(default_factory=list)  # stack numbers (from 1) of the cover sheets
    blanks: list[int] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)  # content pages per dossier, in order
    texts: dict[int, str] = field(default_factory=dict)  # stack number → the page's text


def cover_scan(cover: CoverSheet, *, dpi: int = 300) -> Image.Image:
    """A printed cover sheet as the scanner sees it (A4 at `dpi`, greyish paper)."""
    sheet = cover_sheet_image(cover).convert("RGB")
    scale = dpi / 150
    scan = sheet.resize((round(sheet.width * scale), round(sheet.height * scale)), Image.BILINEAR)
    scan = Image.eval(scan, lambda v: min(v, 244))  # paper is never pure white
    scan.info["dpi"] = (dpi, dpi)
    return scan


def build_stack(
    dossiers: list[tuple[CoverSheet, list[SamplePage]]], *, dpi: int = 300
) -> tuple[list[Image.Image], StackTruth]:
    images: list[Image.Image] = []
    truth = StackTruth()
    for cover, pages in dossiers:
        images.append(cover_scan(cover, dpi=dpi))
        truth.covers.append(len(images))
        group: list[int] = []
        for page in pages:
            images.append(page.image)
            if page.blank:
                truth.blanks.append(len(images))
            else:
                group.append(len(images))
                truth.texts[len(images)] = page.text
        truth.groups.append(group)
    return images, truth


def blank(seed: int, *, size: str = "A5", bleed_from: Image.Image | None = None) -> SamplePage:
    return SamplePage(blank_back(size=size, seed=seed, bleed_from=bleed_from), "", Degradation(), blank=True)


def long_stack(pages: int, *, seed: int = 0, per_dossier: int = 5) -> tuple[list[Image.Image], StackTruth]:
    """About `pages` scanned pages: dossiers of `per_dossier` short A5 pages, each with a blank back now and
    then, behind cover sheets."""
    rng = random.Random(seed)
    dossiers = []
    count, d = 0, 0
    while count < pages:
        d += 1
        items: list[SamplePage] = []
        for k in range(per_dossier):
            page = make_page(seed=seed * 1000 + d * 10 + k, size="A5", lines=3)
            items.append(page)
            if rng.random() < 0.3:
                items.append(blank(seed * 1000 + d * 10 + k, bleed_from=page.image))
        cover = CoverSheet(
            dossier_code=f"000.00.11.H29-261123-{d:04d}",
            procedure_code="1.001193",
            owner_id=f"0010890{d:05d}",
            expected_pages=per_dossier,
        )
        dossiers.append((cover, items))
        count += 1 + len(items)
    return build_stack(dossiers)
