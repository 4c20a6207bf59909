"""Characters Tesseract's Vietnamese model writes that Vietnamese papers never hold, put back as printed.

The model's character set has letters of other Latin alphabets that look like Vietnamese ones; on the real
scans (tests/data/real_scans) it wrote the Icelandic capital eth "Ð" (U+00D0) for "Đ" (U+0110, the same
shape), often doubled ("GD&ĐÐT" for "GD&ĐT"), and the inverted "¡" for "i" ("P.KTTHT¡en502").
In a word of digits, "i", "l", "I" and "|" are the digit one ("2l" for "21", "i1" for "11"). A marked vowel
is sometimes written twice, once in each case ("cầẦn" for "cần"): the one whose case the word's other
letters do not share goes. Search and reuse look words up as typed, so each such slip is a word nobody
finds.
"""

from __future__ import annotations

import re

_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "¡": "i"})
_DOUBLED = re.compile(r"(Đ)Ð|(đ)ð")
_NUMBER = re.compile(r"^([^\w]*)([\dilI|]*\d[\dilI|]*)([^\w]*)$")
# Letters without a mark: "Aa" or "oO" in a word is something else (a code, a name), left alone.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz")


def cleaned(word: str) -> str:
    word = _DOUBLED.sub(lambda m: m.group(1) or m.group(2), word).translate(_LOOKALIKES)
    word = _one_of_each_case(word)
    number = _NUMBER.match(word)
    if number:
        head, digits, tail = number.groups()
        word = head + re.sub(r"[ilI|]", "1", digits) + tail
    return word


def _one_of_each_case(word: str) -> str:
    for i in range(len(word) - 1):
        a, b = word[i], word[i + 1]
        if a != b and a.lower() == b.lower() and a.isalpha() and a.lower() not in _PLAIN:
            rest = word[:i] + word[i + 2 :]
            lower = any(c.islower() for c in rest)
            upper = any(c.isupper() for c in rest[1:])  # a capital first letter says nothing
            if lower != upper:
                keep = a if a.islower() == lower else b
                return word[:i] + keep + word[i + 2 :]
    return word
