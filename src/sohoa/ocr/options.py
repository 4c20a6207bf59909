"""What can be asked of the OCR of a page (`OcrOptions`): kept apart from the page work (ocr.pipeline) so
that the processes that only pass the options along (the API, the command line, the job queue) do not load
OpenCV and the language models to do so."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrOptions:
    lang: str = "vie"
    # Mean word confidence under which a page is listed for a second look. On the generated degraded pages,
    # pages read correctly scored 88-96; a page read sideways or under a heavy seal falls below 75.
    review_confidence: float = 75.0
    # Page segmentation: 4, "a single column of text of variable sizes", because administrative papers are
    # one column under a two-column header. Automatic segmentation (3) split a receipt table into columns and
    # read them one after another (18% CER on such a page, 0.5% with 4, the same on every other kind).
    psm: int = 4
    # Give Tesseract the abbreviations of administrative papers (tesseract.ADMIN_WORDS). Over the bench's 65
    # printed pages (five seeds) it cut character errors from 116 to 102, and made no kind of page worse.
    admin_words: bool = True
    # Correct tone and vowel-mark slips from Tesseract's per-character alternatives, the Vietnamese syllable
    # model and the syllable-pair counts (ocr.rescore); a changed word keeps what Tesseract read.
    correct_syllables: bool = True
    # Read again, as sparse text, the ink no well-read word covers (ocr.unread): the signature block under a
    # seal, which the page's layout analysis takes for a picture.
    read_unread: bool = True
    timeout: float = 300.0
    # The finest resolution Tesseract is given (None: the page's own); the page kept, its boxes and text
    # layer stay at the scan's resolution. Tesseract's layout analysis scales with the pixels, while its
    # LSTM reads each line rescaled to a fixed height, so a 300-dpi page read at 200 dpi (the legal minimum
    # of a scan, 16 px of x-height for 13-pt print) costs about a fifth less CPU in Tesseract (2.95 against
    # 2.32 s a page on the bench's seed 1) and lost nothing: character errors 0.11% → 0.07% there; on the
    # nine 300-dpi real scans (tests/data/real_scans) 2968 of 3068 words found as printed against 2960, and
    # 3013 against 3011 without diacritics (pages moved by -5 to +5 words, tone slips both ways).
    ocr_dpi: int | None = 200
    # Cleanup steps, each kept because the OCR bench (--ablate) shows it pays on some kind of counter scan;
    # binarize and denoise are there to show that they do not (Tesseract's LSTM reads grey better).
    orient: bool = True
    # Settle the orientation from the text lines' shape when they are clear, and ask Tesseract's OSD (about
    # a second a page) only when they are not.
    orient_by_lines: bool = True
    deskew: bool = True
    crop: bool = True
    drop_coloured_ink: bool = True
    remove_rules: bool = True
    binarize: bool = False
    denoise: bool = False
    # What a person at the scan station decided about this page, over the machine's verdict: the page is
    # this many degrees (clockwise) from upright, or it is not blank.
    rotate: int | None = None
    not_blank: bool = False
