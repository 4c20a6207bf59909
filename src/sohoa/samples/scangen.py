"""Render Vietnamese administrative pages at scanning resolution and degrade them like real scans.

A page has the header of an official document (issuing body, national motto, number and symbol, place and
date, title) above body text taken from the sample prose; its ground truth lists exactly the rendered lines in
reading order. Degradations are applied in the order the physical world applies them: paper tint and a seal on
the sheet, then skew and turning on the scanner glass, then the dark lid around the sheet, then the optics
(blur), the sensor (noise) and the file format (JPEG).
"""

from __future__ import annotations

import io
import itertools
import json
import random
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import cv2
import img2pdf
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from sohoa.errors import ServiceUnavailable
from sohoa.samples.texts import sample_texts

PAPER_MM = {"A4": (210, 297), "A5": (148, 210)}
_FONT_CANDIDATES = {
    "regular": [
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    ],
    "bold": [
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    ],
}
_ISSUERS = [
    ("ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI", "Đồng Nai"),
    ("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NINH", "Quảng Ninh"),
    ("SỞ TƯ PHÁP", "TỈNH HÒA BÌNH", "Hòa Bình"),
    ("ỦY BAN NHÂN DÂN", "XÃ TÂN PHÚ", "Tân Phú"),
]
_TITLES = [("QĐ", "QUYẾT ĐỊNH"), ("GP", "GIẤY PHÉP"), ("GCN", "GIẤY CHỨNG NHẬN"), ("TB", "THÔNG BÁO")]
_PAPER_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Degradation:
    skew_deg: float = 0.0  # page rotated by this small angle, counter-clockwise positive
    turn: int = 0  # page fed turned by 0/90/180/270 degrees clockwise
    noise: float = 0.0  # gaussian noise sigma (0-255 scale)
    blur: float = 0.0  # gaussian blur sigma in pixels
    jpeg_quality: int | None = None  # JPEG artefacts when set
    dark_border: bool = False  # dark scanner lid around the sheet
    tint: bool = False  # yellowed paper and uneven light
    seal: bool = False  # red round seal and blue signature over the signer's block
    perspective: float = 0.0  # phone-like capture: corners pulled in by up to this fraction of the side


@dataclass(frozen=True)
class SamplePage:
    image: Image.Image  # RGB, with image.info["dpi"]
    text: str  # ground truth: NFC, one rendered line per line; "" for a blank page
    degradation: Degradation
    blank: bool


class FontMissing(ServiceUnavailable):
    """No font on this machine draws Vietnamese text: a package to install, not the caller's mistake."""


@lru_cache(maxsize=4)
def _font_file(weight: str) -> str:
    for path in _FONT_CANDIDATES[weight]:
        if Path(path).is_file():
            return path
    style = "Bold" if weight == "bold" else "Regular"
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", f"serif:style={style}:lang=vi"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        found = ""
    if found and Path(found).is_file():
        return found
    raise FontMissing(
        "Máy chưa có phông chữ có dấu tiếng Việt: cài fonts-liberation2 hoặc fonts-noto-core",
        "no serif font with Vietnamese glyphs: apt-get install fonts-liberation2 or fonts-noto-core",
    )


@lru_cache(maxsize=64)
def load_font(weight: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_file(weight), px)


def _px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _pt(pt: float, dpi: int) -> int:
    return round(pt / 72 * dpi)


def _fit(draw: ImageDraw.ImageDraw, text: str, weight: str, px: int, width: int) -> ImageFont.FreeTypeFont:
    """The font at `px`, shrunk until `text` fits `width` (a long motto in a narrow A5 column)."""
    while px > 8 and draw.textlength(text, font=load_font(weight, px)) > width:
        px -= 1
    return load_font(weight, px)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Header:
    """The heading block of an administrative document (Decree 30/2020 layout), and the fields it states."""

    body: str  # issuing body, line 1: "ỦY BAN NHÂN DÂN"
    unit: str  # line 2: "TỈNH ĐỒNG NAI"
    place: str  # địa danh: "Đồng Nai"
    code: str  # type abbreviation: "QĐ"
    title: str  # "QUYẾT ĐỊNH"
    number: int
    issued: date
    issuer_abbr: str = "UBND"

    @property
    def number_symbol(self) -> str:
        return f"{self.number}/{self.code}-{self.issuer_abbr}"

    @property
    def issuer(self) -> str:
        return f"{self.body} {self.unit}"

    def columns(self) -> tuple[list[str], list[str]]:
        d = self.issued
        left = [self.body, self.unit, f"Số: {self.number_symbol}"]
        right = [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            f"{self.place}, ngày {d.day} tháng {d.month} năm {d.year}",
        ]
        return left, right


def random_header(rng: random.Random) -> Header:
    body, unit, place = rng.choice(_ISSUERS)
    code, title = rng.choice(_TITLES)
    number = rng.randint(1, 999)
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice([2023, 2024, 2025])
    return Header(body, unit, place, code, title, number, date(year, month, day))


def render_page(
    lines: Sequence[str],
    *,
    dpi: int = 300,
    size: str = "A4",
    font_pt: float = 12,
    header: bool | Header = True,
    seed: int = 0,
    table: Sequence[Sequence[str]] = (),
) -> Image.Image:
    """The page as printed: header (optional) and `lines` of body text wrapped to the text width.

    The lines actually drawn are in `image.info["lines"]` (the header's and the body's, in reading order).
    """
    rng = random.Random(seed)
    w_mm, h_mm = PAPER_MM[size]
    width, height = _px(w_mm, dpi), _px(h_mm, dpi)
    image = Image.new("RGB", (width, height), _PAPER_WHITE)
    draw = ImageDraw.Draw(image)
    left_margin, right_margin, top = _px(w_mm * 0.12, dpi), _px(w_mm * 0.08, dpi), _px(h_mm * 0.07, dpi)
    text_width = width - left_margin - right_margin
    body_font = load_font("regular", _pt(font_pt, dpi))
    line_height = round(_pt(font_pt, dpi) * 1.5)
    drawn: list[str] = []
    y = top
    if header:
        spec = header if isinstance(header, Header) else random_header(rng)
        left, right = spec.columns()
        title = spec.title
        column = text_width // 2 - _px(3, dpi)
        hdr_px = _pt(font_pt * 0.95, dpi)
        x_left, x_right = left_margin, left_margin + text_width // 2 + _px(3, dpi)
        for row, (lt, rt) in enumerate(zip(left, right, strict=True)):
            # OCR reads a two-column header row by row, so the truth lists it that way too.
            for text, x0 in ((lt, x_left), (rt, x_right)):
                # The issuing body and the motto are bold, as the decree on document format asks.
                weight = "bold" if row < 2 else "regular"
                font = _fit(draw, text, weight, hdr_px, column)
                x = x0 + (column - draw.textlength(text, font=font)) / 2
                draw.text((x, y + row * round(hdr_px * 1.5)), text, font=font, fill=(0, 0, 0))
                drawn.append(text)
        y += round(hdr_px * 1.5) * 3 + line_height
        title_font = _fit(draw, title, "bold", _pt(font_pt * 1.25, dpi), text_width)
        draw.text(
            (left_margin + (text_width - draw.textlength(title, font=title_font)) / 2, y),
            title,
            font=title_font,
            fill=(0, 0, 0),
        )
        drawn.append(title)
        y += round(line_height * 1.6)
    for text in lines:
        if y + line_height > height - top:
            break
        draw.text((left_margin, y), text, font=body_font, fill=(0, 0, 0))
        drawn.append(text)
        y += line_height
    if table:
        y = _draw_table(
            draw, table, left_margin, y + line_height // 2, text_width, body_font, line_height, drawn
        )
    image.info["dpi"] = (dpi, dpi)
    image.info["lines"] = [unicodedata.normalize("NFC", t) for t in drawn]
    return image


# Column widths of a receipt list (STT, document, copies, note) as fractions of the text width.
_TABLE_COLUMNS = (0.08, 0.62, 0.12, 0.18)


def _draw_table(
    draw: ImageDraw.ImageDraw,
    rows: Sequence[Sequence[str]],
    x0: int,
    y: int,
    width: int,
    font: ImageFont.FreeTypeFont,
    row_height: int,
    drawn: list[str],
) -> int:
    """A bordered table, as on a receipt of dossier components; each row is one line of the truth."""
    xs = [x0]
    for fraction in _TABLE_COLUMNS:
        xs.append(xs[-1] + round(fraction * width))
    pad = row_height // 5
    top = y
    for row in rows:
        for (left, right), cell in zip(itertools.pairwise(xs), row, strict=False):
            cell_font = _fit(draw, cell, "regular", font.size, right - left - 2 * pad)
            draw.text((left + pad, y + pad), cell, font=cell_font, fill=(0, 0, 0))
        drawn.append(" ".join(c for c in row if c))
        y += row_height + pad
        draw.line((x0, y, xs[-1], y), fill=(0, 0, 0), width=3)
    draw.line((x0, top, xs[-1], top), fill=(0, 0, 0), width=3)
    for x in xs:
        draw.line((x, top, x, y), fill=(0, 0, 0), width=3)
    return y


_RECEIPT_ITEMS = (
    "Tờ khai đăng ký khai sinh",
    "Giấy chứng sinh",
    "Căn cước công dân của người đi đăng ký",
    "Giấy chứng nhận kết hôn của cha, mẹ",
    "Văn bản ủy quyền có chứng thực",
    "Giấy chứng nhận quyền sử dụng đất",
    "Đơn đề nghị cấp giấy phép xây dựng",
    "Bản vẽ thiết kế xây dựng",
)


def receipt_rows(rng: random.Random, count: int = 5) -> list[list[str]]:
    rows = [["STT", "Tên giấy tờ", "Số bản", "Ghi chú"]]
    for i, item in enumerate(rng.sample(_RECEIPT_ITEMS, count), 1):
        rows.append([str(i), item, str(rng.randint(1, 3)), rng.choice(["Bản chính", "Bản sao", ""])])
    return rows


def _body_lines(
    rng: random.Random,
    count: int,
    texts: Sequence[str],
    image_width: int,
    dpi: int,
    size: str,
    font_pt: float,
) -> list[str]:
    w_mm = PAPER_MM[size][0]
    text_width = image_width - _px(w_mm * 0.12, dpi) - _px(w_mm * 0.08, dpi)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    font = load_font("regular", _pt(font_pt, dpi))
    out: list[str] = []
    start = rng.randrange(len(texts))
    i = 0
    while len(out) < count:
        out.extend(_wrap(draw, texts[(start + i) % len(texts)], font, text_width))
        i += 1
    return out[:count]


def _paper_tone(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    arr = np.asarray(image, dtype=np.float32)
    h, w = arr.shape[:2]
    paper = np.array([250, 240, 212], dtype=np.float32) / 255.0
    # Uneven light: brighter on one side, falling off by up to ~18% across the sheet.
    ramp = np.linspace(1.0, 0.82 + 0.05 * rng.random(), w, dtype=np.float32)[None, :, None]
    vertical = np.linspace(1.0, 0.94, h, dtype=np.float32)[:, None, None]
    return Image.fromarray(np.clip(arr * paper * ramp * vertical, 0, 255).astype(np.uint8))


def _seal(image: Image.Image, rng: random.Random) -> Image.Image:
    w, h = image.size
    overlay = Image.new("RGB", image.size, (255, 255, 255))
    draw = ImageDraw.Draw(overlay)
    r = round(min(w, h) * 0.11)
    cx, cy = round(w * rng.uniform(0.62, 0.72)), round(h * rng.uniform(0.45, 0.6))
    red = (205, 40, 45)
    for radius, width in ((r, max(4, r // 14)), (round(r * 0.78), max(2, r // 30))):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=red, width=width)
    star = [
        (cx + r * 0.3 * np.cos(a), cy + r * 0.3 * np.sin(a))
        for a in np.linspace(-np.pi / 2, 3.5 * np.pi, 6)[::1]
    ]
    draw.line(star, fill=red, width=max(3, r // 20))
    blue = (30, 50, 170)
    x, y = cx - r * 1.4, cy + r * 0.4
    points = []
    for _ in range(24):
        x += rng.uniform(r * 0.05, r * 0.14)
        y += rng.uniform(-r * 0.18, r * 0.18)
        points.append((x, y))
    draw.line(points, fill=blue, width=max(3, r // 25), joint="curve")
    # Ink multiplies with what is under it, like a stamp pressed on print.
    base = np.asarray(image, dtype=np.float32) / 255.0
    ink = np.asarray(overlay, dtype=np.float32) / 255.0
    return Image.fromarray((base * ink * 255).astype(np.uint8))


def _perspective(
    image: Image.Image, amount: float, fill: tuple[int, ...], nrng: np.random.Generator
) -> Image.Image:
    """A sheet photographed a little from the side: each corner pulled in by up to `amount` of the side."""
    w, h = image.size
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    shift = nrng.uniform(0.3, 1.0, (4, 2)) * amount * np.float32([w, h])
    inward = np.float32([[1, 1], [-1, 1], [-1, -1], [1, -1]])
    dst = (src + shift * inward).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(
        np.asarray(image), matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=tuple(int(v) for v in fill)
    )
    return Image.fromarray(warped)


def degrade(image: Image.Image, degradation: Degradation, *, seed: int = 0) -> Image.Image:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    dpi = image.info.get("dpi", (300, 300))
    out = image.convert("RGB")
    fill = _PAPER_WHITE
    if degradation.tint:
        out = _paper_tone(out, nrng)
        fill = tuple(int(v) for v in np.asarray(out)[5, 5])
    if degradation.seal:
        out = _seal(out, rng)
    if degradation.skew_deg:
        out = out.rotate(degradation.skew_deg, resample=Image.BICUBIC, expand=True, fillcolor=fill)
    if degradation.turn:
        out = out.rotate(-degradation.turn, expand=True)  # PIL turns counter-clockwise
    if degradation.perspective:
        out = _perspective(out, degradation.perspective, fill, nrng)
    if degradation.dark_border:
        w, h = out.size
        margin = round(min(w, h) * 0.04)
        lid = Image.new("RGB", (w + 2 * margin, h + 2 * margin), (38, 38, 40))
        gradient = nrng.normal(0, 6, (lid.size[1], lid.size[0], 1)).clip(-12, 12)
        lid = Image.fromarray(np.clip(np.asarray(lid, dtype=np.float32) + gradient, 0, 255).astype(np.uint8))
        lid.paste(
            out,
            (
                margin + rng.randint(-margin // 2, margin // 2),
                margin + rng.randint(-margin // 2, margin // 2),
            ),
        )
        out = lid
    if degradation.blur:
        out = out.filter(ImageFilter.GaussianBlur(degradation.blur))
    if degradation.noise:
        arr = np.asarray(out, dtype=np.float32)
        arr = arr + nrng.normal(0, degradation.noise, arr.shape[:2])[..., None]
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if degradation.jpeg_quality:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=degradation.jpeg_quality)
        out = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out.info["dpi"] = dpi
    return out


def blank_back(
    *, dpi: int = 300, size: str = "A4", bleed_from: Image.Image | None = None, seed: int = 0
) -> Image.Image:
    """The back of a one-sided sheet as a duplex scanner sees it: paper tone, speckles, faint show-through."""
    nrng = np.random.default_rng(seed)
    w_mm, h_mm = PAPER_MM[size]
    width, height = _px(w_mm, dpi), _px(h_mm, dpi)
    arr = np.full((height, width, 3), 246, dtype=np.float32)
    arr += nrng.normal(0, 2.5, (height, width, 1))
    if bleed_from is not None:
        ghost = bleed_from.convert("L").resize((width, height)).transpose(Image.FLIP_LEFT_RIGHT)
        ghost = ghost.filter(ImageFilter.GaussianBlur(2.5))
        arr -= (255 - np.asarray(ghost, dtype=np.float32))[..., None] * 0.07
    for _ in range(nrng.integers(15, 40)):
        y, x = int(nrng.integers(0, height - 6)), int(nrng.integers(0, width - 6))
        r = int(nrng.integers(1, 4))
        arr[y : y + r, x : x + r] = nrng.uniform(60, 160)
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    image.info["dpi"] = (dpi, dpi)
    return image


def make_page(
    *,
    seed: int,
    dpi: int = 300,
    size: str = "A4",
    lines: int = 14,
    degradation: Degradation | None = None,
    texts: Sequence[str] | None = None,
    header: bool = True,
    font_pt: float = 12,
    table: bool = False,
) -> SamplePage:
    """A rendered, degraded page; with `table`, a bordered receipt list follows the body text."""
    rng = random.Random(seed)
    texts = list(texts) if texts else sample_texts()
    width = _px(PAPER_MM[size][0], dpi)
    body = _body_lines(rng, lines, texts, width, dpi, size, font_pt)
    rows = receipt_rows(rng) if table else ()
    clean = render_page(body, dpi=dpi, size=size, font_pt=font_pt, header=header, seed=seed, table=rows)
    degradation = degradation or Degradation()
    image = degrade(clean, degradation, seed=seed)
    return SamplePage(image, "\n".join(clean.info["lines"]), degradation, blank=False)


_NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Minh Đức", "Vũ Thu Hà"]
_SUBJECTS = {
    "QĐ": "Về việc phê duyệt hồ sơ đề nghị của công dân",
    "GP": "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ",
    "GCN": "Về việc chứng nhận đủ điều kiện kinh doanh",
    "TB": "Về việc trả lời kiến nghị của công dân",
}


def personal_id(rng: random.Random) -> str:
    """A well-formed personal ID: province code, century/gender digit, birth year, serial."""
    century = rng.choice("0123")
    year = rng.randint(30, 99) if century in "01" else rng.randint(0, 20)
    return f"{rng.randint(1, 96):03d}{century}{year:02d}{rng.randint(0, 999999):06d}"


def tax_code(rng: random.Random) -> str:
    """A 10-digit enterprise tax code with its mod-11 check digit."""
    while True:
        head = f"{rng.randint(1, 99):02d}{rng.randint(0, 9999999):07d}"
        total = sum(int(d) * w for d, w in zip(head, (31, 29, 23, 19, 17, 13, 7, 5, 3), strict=True))
        check = 10 - total % 11
        if check < 10:
            return head + str(check)


def make_result_document(
    *, seed: int, degradation: Degradation | None = None, dpi: int = 300, lines: int = 8
) -> tuple[SamplePage, dict[str, str]]:
    """A one-page result (decision, permit, certificate...) and the fields printed on it, as truth for
    field extraction: number_symbol, issue_place, issue_date (ISO), issuer, doc_type, summary, personal_id,
    and tax_code on every other document."""
    rng = random.Random(seed)
    header = random_header(rng)
    owner = personal_id(rng)
    name = rng.choice(_NAMES)
    summary = _SUBJECTS[header.code]
    body = [summary, f"Cấp cho ông/bà {name}, số định danh cá nhân: {owner}."]
    truth = {
        "number_symbol": header.number_symbol,
        "issue_place": header.place,
        "issue_date": header.issued.isoformat(),
        "issuer": header.issuer,
        "doc_type": header.title,
        "summary": summary,
        "personal_id": owner,
    }
    if seed % 2:
        mst = tax_code(rng)
        body.append(f"Đơn vị liên quan có mã số thuế: {mst}.")
        truth["tax_code"] = mst
    width = _px(PAPER_MM["A4"][0], dpi)
    body += _body_lines(rng, lines, sample_texts(), width, dpi, "A4", 12)
    clean = render_page(body, dpi=dpi, header=header, seed=seed)
    degradation = degradation or Degradation()
    image = degrade(clean, degradation, seed=seed)
    return SamplePage(image, "\n".join(clean.info["lines"]), degradation, blank=False), truth


DEFAULT_MIX = (
    Degradation(),
    Degradation(skew_deg=2.5, noise=6.0),
    Degradation(turn=90),
    Degradation(turn=180, blur=0.8),
    Degradation(turn=270, jpeg_quality=60),
    Degradation(skew_deg=-3.5, dark_border=True),
    Degradation(tint=True, seal=True, skew_deg=1.0),
)


def _save(image: Image.Image, path: Path, dpi: int, jpeg_quality: int | None) -> None:
    if jpeg_quality:
        image.save(path, "JPEG", quality=jpeg_quality, dpi=(dpi, dpi))
    else:
        image.save(path, "PNG", dpi=(dpi, dpi))


def make_batch(
    out_dir: Path,
    *,
    pages: int = 6,
    seed: int = 0,
    dpi: int = 300,
    size: str = "A4",
    lines: int = 14,
    kinds: Sequence[Degradation] | None = None,
) -> list[dict]:
    """Write `pages` scans (the last one a blank back when there are 3 or more) and `truth.json`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    kinds = list(kinds or DEFAULT_MIX)
    rng = random.Random(seed)
    truth: list[dict] = []
    previous: Image.Image | None = None
    for i in range(pages):
        if pages >= 3 and i == pages - 1:
            image = blank_back(dpi=dpi, size=size, bleed_from=previous, seed=seed + i)
            name = f"scan-{i + 1:03d}.png"
            _save(image, out_dir / name, dpi, None)
            truth.append({"file": name, "text": "", "blank": True, **asdict(Degradation())})
            continue
        kind = kinds[i % len(kinds)]
        if i >= len(kinds) and kind.skew_deg:
            kind = replace(kind, skew_deg=round(rng.uniform(-4, 4), 2))
        page = make_page(seed=seed * 1000 + i, dpi=dpi, size=size, lines=lines, degradation=kind)
        previous = page.image
        name = f"scan-{i + 1:03d}.{'jpg' if kind.jpeg_quality else 'png'}"
        _save(page.image, out_dir / name, dpi, kind.jpeg_quality)
        truth.append({"file": name, "text": page.text, "blank": False, **asdict(kind)})
    (out_dir / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8")
    return truth


def write_pdf(images: Sequence[Image.Image], path: Path, *, dpi: int = 300) -> None:
    """A multi-page scan PDF as a scanner's software writes it: one JPEG image per page."""
    parts = []
    for image in images:
        buf = io.BytesIO()
        image.convert("RGB").save(buf, "JPEG", quality=90, dpi=(dpi, dpi))
        parts.append(buf.getvalue())
    Path(path).write_bytes(img2pdf.convert(parts))


def write_tiff(images: Sequence[Image.Image], path: Path, *, dpi: int = 300) -> None:
    first, *rest = [im.convert("RGB") for im in images]
    first.save(path, "TIFF", save_all=True, append_images=rest, compression="tiff_deflate", dpi=(dpi, dpi))
