"""Build the two language files the OCR correction reads (src/sohoa/ocr/data/):

- vie-syllables.txt: the written Vietnamese syllables, lowercase NFC, one a line: the words of the
  dictionary inside Tesseract's Vietnamese model (tessdata, Apache-2.0; unpacked with combine_tessdata and
  dawg2wordlist) and of the text below, kept when the spelling rules of sohoa.ocr.syllables accept them;
- vie-bigrams.txt: syllable and syllable-pair counts of the text below, lowercase NFC: lines "w count" and
  "w1 w2 count"; only well-formed syllables and abbreviations in capitals are counted, a pair never
  spans punctuation, a number or anything else, pairs seen fewer than MIN_PAIR times are left out, and a
  pair SLIP_RATIO times rarer than the same letters with other marks is counted as them (merge_slips).

The text: the shared news samples of one-stop counters (/work/shared/samples, or --samples DIR), the
administrative boilerplate written for this purpose (ocr/data/vie-admin-phrases.txt), and a corpus of
Vietnamese legal text (--corpus DIR: every *.md and *.txt file under it). The corpus used for the shipped
file is the `van-ban/` folder of github.com/diepxuan/diepxuan.github.io at commit fbaa690e (568 Markdown
files, 143 MB: the codified laws of the Bộ pháp điển and recent decrees and circulars, as published by the
government; Vietnamese legal documents are not protected by copyright, Law on Intellectual Property
art. 15). Only the counts are shipped, never the text. A line met twice is counted once (the codified
articles repeat across topics), and Markdown tables and metadata lines are skipped.

The packaged sample text (samples/data/vi-sample.txt) is left out on purpose: it is the held-out text the
correction is tuned and tested on, so the test does not read pages whose word pairs the model has counted.
The real-scan test pages (tests/data/real_scans) are not in the corpus; their common phrases are ("theo quy
định của pháp luật", the titles of the decrees they cite): the script prints how many runs of eight
syllables of their truths occur in it (347 of 5,288 for the shipped file; the most on one page on the
Procuracy decision, 70 of its 206, whose wording is set by regulation).

    PYTHONPATH=src .venv/bin/python scripts/build_ocr_language_data.py [--samples DIR] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from sohoa.ocr.syllables import SYLLABLES_FILE, skeleton, well_formed
from sohoa.ocr.wordpairs import BIGRAMS_FILE
from sohoa.samples.texts import clean_lines

TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata/vie.traineddata")
PHRASES = SYLLABLES_FILE.with_name("vie-admin-phrases.txt")
# A word, or one punctuation mark / number that breaks the chain of pairs.
_TOKEN = re.compile(r"[^\W\d_]+|\S")
MIN_PAIR = 3
# A pair spelt like a pair this many times commoner, but for its marks ("thâm quyên" 90 times against
# "thẩm quyền" 32,016), is counted as that pair: the corpus was typed and converted by people and programs
# that dropped marks, and its slips are the very readings the correction must not be taught to keep.
SLIP_RATIO = 50
MIN_ATTESTED = 300
_SKIPPED = ("|", "---", "layout:", "permalink:", "title:", "lastedit:", "#")
REAL_SCANS = Path(__file__).resolve().parent.parent / "tests" / "data" / "real_scans"


def tesseract_words(traineddata: Path) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="sohoa-dawg-") as tmp:
        prefix = Path(tmp) / "vie."
        subprocess.run(
            ["combine_tessdata", "-u", str(traineddata), str(prefix)], check=True, capture_output=True
        )
        out = Path(tmp) / "words.txt"
        subprocess.run(
            ["dawg2wordlist", f"{prefix}lstm-unicharset", f"{prefix}lstm-word-dawg", str(out)],
            check=True,
            capture_output=True,
        )
        return out.read_text(encoding="utf-8").split()


def shipped_text(samples: Path) -> list[str]:
    lines: list[str] = []
    for path in sorted(samples.glob("*.txt")):
        lines += clean_lines(path.read_text(encoding="utf-8", errors="replace"))
    lines += [unicodedata.normalize("NFC", line) for line in PHRASES.read_text(encoding="utf-8").splitlines()]
    return lines


def corpus_lines(folder: Path) -> Iterator[str]:
    """Each distinct line of prose in the corpus, NFC."""
    seen: set[int] = set()
    for path in sorted([*folder.rglob("*.md"), *folder.rglob("*.txt")]):
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = unicodedata.normalize("NFC", raw).strip()
            if not line or line.startswith(_SKIPPED) or "**" in line or hash(line) in seen:
                continue
            seen.add(hash(line))
            yield line


def count(lines: Iterable[str]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    valid = lru_cache(maxsize=None)(well_formed)
    for line in lines:
        previous = None
        for written in _TOKEN.findall(line):
            token = written.lower()
            # Abbreviations count too ("Cổng TTĐT", "Chủ tịch UBND"): they are half the context of a
            # heading or a signature block.
            abbreviation = written.isupper() and 2 <= len(written) <= 6
            if not token.isalpha() or not (valid(token) or abbreviation):
                previous = None
                continue
            words[token] += 1
            if previous is not None:
                pairs[(previous, token)] += 1
            previous = token
    return words, pairs


def merge_slips(pairs: Counter[tuple[str, str]]) -> int:
    """Count each pair that looks like a slip of a far commoner pair of the same letters as that pair (in
    place); returns how many pairs were merged."""
    families: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for pair in pairs:
        families.setdefault((skeleton(pair[0]), skeleton(pair[1])), []).append(pair)
    merged = 0
    for members in families.values():
        if len(members) < 2:
            continue
        common = max(members, key=pairs.__getitem__)
        for pair in members:
            if pair != common and pairs[pair] * SLIP_RATIO <= pairs[common]:
                pairs[common] += pairs.pop(pair)
                merged += 1
    return merged


def overlap(corpus: Path, span: int = 8) -> int:
    """How many runs of `span` syllables of the real-scan truths the corpus holds (0: the benchmark's
    pages are not in the text the model counts)."""

    def runs(text: str) -> set[str]:
        tokens = [t for t in _TOKEN.findall(text.lower()) if t.isalpha()]
        return {" ".join(tokens[i : i + span]) for i in range(len(tokens) - span + 1)}

    wanted: set[str] = set()
    for truth in REAL_SCANS.glob("*.txt"):
        wanted |= runs(truth.read_text(encoding="utf-8"))
    found: set[str] = set()
    for line in corpus_lines(corpus):
        found |= runs(line) & wanted
    return len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path("/work/shared/samples"))
    parser.add_argument("--corpus", type=Path, help="a folder of legal text (*.md, *.txt)")
    args = parser.parse_args()
    words, pairs = count(shipped_text(args.samples))
    found = {unicodedata.normalize("NFC", w.lower()) for w in tesseract_words(TESSDATA)} | set(words)
    if args.corpus:
        legal_words, legal_pairs = count(corpus_lines(args.corpus))
        # Only the corpus's common syllables are attested by it: it has its own typing slips ("đữ" 224
        # times, "bỗ" 252), and Tesseract's dictionary lacks the one-vowel words ("a", "ô", "á": 47,407,
        # 3,696 and 311 times), which the slips never reach.
        found |= {w for w, n in legal_words.items() if n >= MIN_ATTESTED}
        words.update(legal_words)
        pairs.update(legal_pairs)
        print(f"{merge_slips(pairs)} pairs counted as slips of a pair {SLIP_RATIO} times commoner")
        print(f"{overlap(args.corpus)} runs of 8 syllables of the real-scan truths occur in the corpus")
    syllables = sorted(w for w in found if well_formed(w))
    SYLLABLES_FILE.write_text("\n".join(syllables) + "\n", encoding="utf-8")
    rows = [f"{w} {n}" for w, n in sorted(words.items())]
    rows += [f"{a} {b} {n}" for (a, b), n in sorted(pairs.items()) if n >= MIN_PAIR]
    BIGRAMS_FILE.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(
        f"{len(syllables)} syllables ({SYLLABLES_FILE.stat().st_size} bytes), {len(words)} words and "
        f"{len(pairs)} pairs from {sum(words.values())} running words ({BIGRAMS_FILE.stat().st_size} bytes)"
    )


if __name__ == "__main__":
    main()
