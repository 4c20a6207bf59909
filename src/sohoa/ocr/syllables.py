"""Which Vietnamese syllables exist: spelling rules, and the list of syllables actually written.

A Vietnamese syllable is written onset + rhyme, with one tone mark on the rhyme's vowel (Đoàn Thiện Thuật,
"Ngữ âm tiếng Việt", 1977, ch. 3-4; summarised in en.wikipedia.org/wiki/Vietnamese_phonology and
/Vietnamese_alphabet). The rules this module checks:

- the onset is one of the 27 written consonant clusters (b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r
  s t th tr v x, or none); k, gh and ngh stand only before i, y, e, ê, and c, g, ng never do;
- the rhyme (toneless) is one of the written rhymes of `_RHYMES`: an optional medial o/u, a nucleus, an
  optional ending (i/y, o/u glide, or the consonants c ch m n ng nh p t);
- a rhyme ending in a stop (c, ch, p, t) takes only the sắc or nặng tone;
- exactly one tone mark at most.

The rules allow about 18,000 syllables; the language writes about 7,000. An impossible spelling that the
rules let through ("truyễn": tr + uyên + ngã is well formed, but no word is written so) is caught by the
second test: the syllable must be attested, in `data/vie-syllables.txt`, a list built by
`scripts/build_ocr_language_data.py` from the word list inside Tesseract's own Vietnamese model (Apache-2.0,
tessdata) and the project's shipped text, keeping only what the rules accept.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

SYLLABLES_FILE = Path(__file__).with_name("data") / "vie-syllables.txt"

# Combining tone marks: huyền, sắc, hỏi, ngã, nặng.
TONES = {"\u0300": "huyen", "\u0301": "sac", "\u0309": "hoi", "\u0303": "nga", "\u0323": "nang"}
_VOWEL_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex (â ê ô), breve (ă), horn (ơ ư)

_ONSET_TEXT = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x"
_ONSETS = sorted(_ONSET_TEXT.split(), key=len, reverse=True)
_FRONT = ("i", "y", "e", "ê")

_RHYME_TEXT = """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêng yêt yêu
    o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
    oc oe oen oeo oet oi om on ong ooc oong op ot
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uân uâng uât uây uc uê uêch uênh ui um un ung uơ uôc uôi uôm uôn uông uôt up ut
    uy uya uych uyên uyêt uynh uyt uyu
    ư ưa ưc ưi ưm ưn ưng ưt ưu ươ ươc ươi ươm ươn ương ươp ươt ươu
"""
_RHYMES = frozenset(_RHYME_TEXT.split())
_STOPS = ("c", "ch", "p", "t")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def split_tone(syllable: str) -> tuple[str, str | None]:
    """(the syllable without its tone mark, NFC; the tone's name or None). Two tone marks: ValueError."""
    tone = None
    kept = []
    for ch in unicodedata.normalize("NFD", syllable):
        if ch in TONES:
            if tone is not None:
                raise ValueError("two tone marks")
            tone = TONES[ch]
        else:
            kept.append(ch)
    return nfc("".join(kept)), tone


# A page asks about the same few hundred words tens of thousands of times (each candidate of each word of
# each run): the two tests below are remembered.
@lru_cache(maxsize=1 << 16)
def skeleton(syllable: str) -> str:
    """The bare letters: lowercase, no tone, no vowel marks, đ as d ("Truyền" -> "truyen")."""
    bare = "".join(c for c in unicodedata.normalize("NFD", syllable.lower()) if not unicodedata.combining(c))
    return bare.replace("đ", "d")


def _rhyme_ok(onset: str, rhyme: str, tone: str | None) -> bool:
    if onset == "gi" and rhyme not in _RHYMES and "i" + rhyme in _RHYMES:
        rhyme = "i" + rhyme  # giếng, giết: the i of gi doubles as the rhyme's
    if rhyme not in _RHYMES:
        return False
    if onset == "qu" and rhyme.startswith(("u", "o")):
        return False
    front = rhyme.startswith(_FRONT)
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if onset in ("c", "g", "ng") and front and not (onset == "g" and rhyme.startswith("i")):
        return False  # "gì", "gìn" are g + i
    return not (rhyme.endswith(_STOPS) and tone not in (None, "sac", "nang"))


def well_formed(syllable: str) -> bool:
    """Whether the spelling rules allow `syllable` (any case). A stop-ending rhyme with no mark is allowed:
    the unmarked stop syllable does not exist, but the rules in the module doc have no way to say so."""
    word = syllable.lower()
    if not word or not word.isalpha():
        return False
    try:
        toneless, tone = split_tone(word)
    except ValueError:
        return False
    if toneless.endswith(_STOPS) and tone is None:
        return False
    for onset in [*_ONSETS, ""]:
        if toneless.startswith(onset) and _rhyme_ok(onset, toneless[len(onset) :], tone):
            return True
    return False


@lru_cache(maxsize=1)
def attested() -> frozenset[str]:
    """The written syllables, lowercase NFC."""
    lines = SYLLABLES_FILE.read_text(encoding="utf-8").split()
    return frozenset(nfc(line) for line in lines)


@lru_cache(maxsize=1 << 16)
def is_valid(syllable: str) -> bool:
    """A Vietnamese syllable as written: well formed and attested (case ignored)."""
    word = nfc(syllable).lower()
    return word in attested() and well_formed(word)


@lru_cache(maxsize=1)
def _by_skeleton() -> dict[str, tuple[str, ...]]:
    groups: dict[str, list[str]] = {}
    for word in sorted(attested()):
        groups.setdefault(skeleton(word), []).append(word)
    return {key: tuple(words) for key, words in groups.items()}


def mark_variants(syllable: str) -> tuple[str, ...]:
    """Every valid syllable with the same bare letters (lowercase): the readings a slip of tone or vowel mark
    could have turned into `syllable`, e.g. "truyễn" -> truyền, truyện, ..."""
    return _by_skeleton().get(skeleton(nfc(syllable)), ())
