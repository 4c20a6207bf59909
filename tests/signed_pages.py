"""A generated signed permit for the validity and confirmation tests: a Decree 30 heading, two personal IDs,
a validity line, and the signature block (title, a scribble, the signer's name) at the foot, right column."""

from __future__ import annotations

from datetime import date

from PIL import Image, ImageDraw

from sohoa.samples.scangen import Header, load_font, render_page

DPI = 300
ISSUED = date(2024, 3, 15)
HEADER = Header("ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI", "Đồng Nai", "GP", "GIẤY PHÉP", 245, ISSUED)
OWNER = "031190005678"
SPOUSE = "079185000123"
SIGNER = "Trần Minh Đức"


def signed_permit(valid_until: date = date(2025, 3, 14)) -> tuple[Image.Image, dict[str, str]]:
    """The page (RGB, 300 dpi) and what is printed on it."""
    until = f"ngày {valid_until.day} tháng {valid_until.month} năm {valid_until.year}"
    lines = [
        "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ",
        f"Cấp cho ông Nguyễn Văn An, số định danh cá nhân: {OWNER}.",
        f"Cùng bà Lê Thị Hoa, số định danh cá nhân: {SPOUSE}.",
        f"Giấy phép này có giá trị đến {until}.",
    ]
    image = render_page(lines, dpi=DPI, header=HEADER, font_pt=13)
    draw = ImageDraw.Draw(image)
    width, height = image.size
    centre = round(width * 0.70)
    y = round(height * 0.55)
    for text, weight in (("KT. CHỦ TỊCH", "bold"), ("PHÓ CHỦ TỊCH", "bold")):
        font = load_font(weight, round(13 / 72 * DPI))
        draw.text((centre - draw.textlength(text, font=font) / 2, y), text, font=font, fill=(0, 0, 0))
        y += round(13 / 72 * DPI * 1.5)
    # The signature: a blue stroke where the name would be signed.
    points = [(centre - 180 + 30 * i, y + 60 + (25 if i % 2 else -25)) for i in range(13)]
    draw.line(points, fill=(30, 50, 170), width=6, joint="curve")
    y += 260
    font = load_font("bold", round(13 / 72 * DPI))
    draw.text((centre - draw.textlength(SIGNER, font=font) / 2, y), SIGNER, font=font, fill=(0, 0, 0))
    image.info["dpi"] = (DPI, DPI)
    truth = {
        "number_symbol": HEADER.number_symbol,
        "issue_date": ISSUED.isoformat(),
        "valid_until": valid_until.isoformat(),
        "signer": SIGNER,
        "signed_on": ISSUED.isoformat(),
    }
    return image, truth
