"""Characters Tesseract's Vietnamese model writes that Vietnamese papers never hold, put back as printed.

The model's character set has letters of other Latin alphabets that look like Vietnamese ones; on the real
scans (tests/data/real_scans) it wrote the Icelandic capital eth "Ð" (U+00D0) for "Đ" (U+0110, the same
shape), often doubled ("GD&ĐÐT" for "GD&ĐT"), and the inverted "¡" for "i" ("P.KTTHT¡en502").
In a word of digits, "i", "l", "I" and "|" are the digit one ("2l" for "21", "i1" for "11"). Search and
reuse look words up as typed, so each such slip is a word nobody finds.
"""

from __future__ import annotations

import re

_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "¡": "i"})
_DOUBLED = re.compile(r"(Đ)Ð|(đ)ð")
_NUMBER = re.compile(r"^([^\w]*)([\dilI|]*\d[\dilI|]*)([^\w]*)$")


def cleaned(word: str) -> str:
    word = _DOUBLED.sub(lambda m: m.group(1) or m.group(2), word).translate(_LOOKALIKES)
    number = _NUMBER.match(word)
    if number:
        head, digits, tail = number.groups()
        word = head + re.sub(r"[ilI|]", "1", digits) + tail
    return word
