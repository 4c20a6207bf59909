"""Build the two language files the OCR correction reads (src/sohoa/ocr/data/):

- vie-syllables.txt: the written Vietnamese syllables, lowercase NFC, one a line: the words of the
  dictionary inside Tesseract's Vietnamese model (tessdata, Apache-2.0; unpacked with combine_tessdata and
  dawg2wordlist) and of the text below, kept when the spelling rules of sohoa.ocr.syllables accept them;
- vie-bigrams.txt: syllable and syllable-pair counts of the text below, lowercase NFC: lines "w count" and
  "w1 w2 count"; a pair never spans punctuation or a number.

The text: the shared news samples of one-stop counters (/work/shared/samples, or --samples DIR) and the
administrative boilerplate written for this purpose (ocr/data/vie-admin-phrases.txt). The packaged
sample text (samples/data/vi-sample.txt) is left out on purpose: it is the held-out text the correction is
tuned and tested on, so the test does not read pages whose word pairs the model has counted.

    PYTHONPATH=src .venv/bin/python scripts/build_ocr_language_data.py [--samples DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

from sohoa.ocr.syllables import SYLLABLES_FILE, well_formed
from sohoa.ocr.wordpairs import BIGRAMS_FILE
from sohoa.samples.texts import clean_lines

TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata/vie.traineddata")
PHRASES = SYLLABLES_FILE.with_name("vie-admin-phrases.txt")
# A word, or one punctuation mark / number that breaks the chain of pairs.
_TOKEN = re.compile(r"[^\W\d_]+|\S")


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


def count(lines: list[str]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for line in lines:
        previous = None
        for token in _TOKEN.findall(line.lower()):
            if not token.isalpha():
                previous = None
                continue
            words[token] += 1
            if previous is not None:
                pairs[(previous, token)] += 1
            previous = token
    return words, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path("/work/shared/samples"))
    args = parser.parse_args()
    words, pairs = count(shipped_text(args.samples))
    found = {unicodedata.normalize("NFC", w.lower()) for w in tesseract_words(TESSDATA)} | set(words)
    syllables = sorted(w for w in found if well_formed(w))
    SYLLABLES_FILE.write_text("\n".join(syllables) + "\n", encoding="utf-8")
    rows = [f"{w} {n}" for w, n in sorted(words.items())]
    rows += [f"{a} {b} {n}" for (a, b), n in sorted(pairs.items())]
    BIGRAMS_FILE.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(
        f"{len(syllables)} syllables ({SYLLABLES_FILE.stat().st_size} bytes), {len(words)} words and "
        f"{len(pairs)} pairs from {sum(words.values())} running words ({BIGRAMS_FILE.stat().st_size} bytes)"
    )


if __name__ == "__main__":
    main()
