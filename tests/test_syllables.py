"""The correction of tone and vowel-mark slips (issue 23): the syllable model, rescoring from Tesseract's
per-character alternatives and the syllable-pair counts, and a real OCR run of a generated page."""

from __future__ import annotations

import unicodedata
from collections import Counter

import numpy as np
import pytest

from sohoa.ocr import rescore, tesseract, wordpairs
from sohoa.ocr.alternatives import CharChoice, WordChoices, by_box
from sohoa.ocr.pipeline import OcrOptions, process_page
from sohoa.ocr.syllables import SYLLABLES_FILE, is_valid, mark_variants, well_formed
from sohoa.records.models import Word
from sohoa.samples.scangen import Degradation, make_page
from sohoa.samples.texts import clean_lines

VALID = [
    "truyền", "nhiều", "phố", "uống", "đồ", "cầu", "nguyễn", "quyết", "quốc", "giếng", "gì", "nghiêng",
    "khuya", "kiểm", "tổ", "chức", "hòa", "hoà", "thuở", "Thủ", "ĐỒNG", "xã", "hội", "việc", "được",
]  # fmt: skip
INVALID = [
    "truyễn",  # well formed (tr + uyên + ngã) but never written
    "tâp",  # a stop-ending rhyme without sắc or nặng
    "tàp",
    "ĐðT",  # the "GD&ĐðT" slip
    "GD",
    "UBND",
    "kan",  # k before a back vowel
    "ghô",
    "cê",  # c before a front vowel
    "ngê",
    "qua1",
    "hóà",  # two tone marks
    "",
]


@pytest.mark.parametrize("syllable", VALID)
def test_written_syllables_are_valid(syllable: str) -> None:
    assert is_valid(syllable)


@pytest.mark.parametrize("syllable", INVALID)
def test_impossible_syllables_are_invalid(syllable: str) -> None:
    assert not is_valid(syllable)


def test_rules_and_list_each_catch_what_the_other_cannot() -> None:
    assert well_formed("truyễn") and not is_valid("truyễn")  # only the attested list knows
    assert not well_formed("tâp")
    assert set(mark_variants("truyễn")) >= {"truyền", "truyện"}
    assert "nhiều" in mark_variants("nhiêu")
    words = SYLLABLES_FILE.read_text(encoding="utf-8").split()
    assert words == sorted(set(words)) and all(w == unicodedata.normalize("NFC", w).lower() for w in words)
    assert all(well_formed(w) for w in words)


def _line(*specs: tuple[str, float]) -> list[Word]:
    return [
        Word(text=text, left=100 * i, top=10, width=90, height=30, confidence=conf, line=0)
        for i, (text, conf) in enumerate(specs)
    ]


def _choices(word: Word, alternatives: dict[int, list[tuple[str, float]]]) -> WordChoices:
    chars = tuple(
        CharChoice(ch, 99.0, tuple(alternatives.get(i, [(ch, 95.0)]))) for i, ch in enumerate(word.text)
    )
    return WordChoices((word.left, word.top, word.left + word.width, word.top + word.height), chars)


def test_an_impossible_reading_gives_way_to_the_valid_one_the_alternatives_allow() -> None:
    words = _line(("công", 95), ("tác", 95), ("tuyên", 95), ("truyễn", 71), ("pháp", 95), ("luật", 95))
    choices = by_box([_choices(words[3], {4: [("ễ", 80.0), ("ề", 61.0), ("ệ", 12.0)]})])
    out = rescore.correct(words, choices)
    assert [w.text for w in out] == ["công", "tác", "tuyên", "truyền", "pháp", "luật"]
    assert (out[3].ocr_text, out[3].ocr_confidence) == ("truyễn", 71)
    assert all(w.ocr_text is None and w.ocr_confidence is None for i, w in enumerate(out) if i != 3)


def test_an_unsure_valid_reading_gives_way_to_the_reading_its_neighbours_ask_for() -> None:
    words = _line(("đã", 95), ("ban", 96), ("hành", 96), ("Nhiêu", 74), ("văn", 95), ("bản", 95))
    choices = by_box([_choices(words[3], {3: [("ê", 88.0), ("ề", 70.0)]})])
    out = rescore.correct(words, choices)
    assert out[3].text == "Nhiều"  # the case of the reading is kept
    assert (out[3].ocr_text, out[3].ocr_confidence) == ("Nhiêu", 74)


def test_a_confident_valid_reading_is_left_alone() -> None:
    # "kế hoạch" is right; "phó" beside "chủ tịch" too: neither gives way, though their other marks are valid
    # syllables and the alternatives list them.
    words = _line(("Kế", 96), ("hoạch", 96), ("Phó", 95), ("Chủ", 96), ("tịch", 96))
    choices = by_box(
        [
            _choices(words[0], {1: [("ế", 95.0), ("ể", 40.0)]}),
            _choices(words[2], {2: [("ó", 93.0), ("ố", 50.0)]}),
        ]
    )
    out = rescore.correct(words, choices)
    assert out == words


def test_a_confident_reading_regains_a_mark_the_recognizer_dropped() -> None:
    # "tô chức" read at 96: the recognizer dropped the hook of "tổ"; "tổ chức" is a pair the legal corpus
    # holds tens of thousands of times, "tô chức" almost never.
    words = _line(("các", 96), ("tô", 96), ("chức,", 96), ("cá", 96), ("nhân", 96))
    out = rescore.correct(words, by_box([_choices(words[1], {1: [("ô", 95.0)]})]))
    assert [w.text for w in out][:3] == ["các", "tổ", "chức,"]
    alone = _line(("tô", 96))  # no neighbour, no evidence: kept
    assert rescore.correct(alone, {}) == alone


def test_a_confident_reading_keeps_its_tone_against_the_neighbours() -> None:
    # Taking a confidently read tone away or swapping it was wrong three times in four on the real scans
    # ("Hội thánh" is not "Hội thành", "tà đạo" not "ta đạo"): the pair counts alone do not overrule it.
    words = _line(("là", 96), ("tà", 97), ("đạo", 96))
    assert rescore.correct(words, {}) == words
    unsure = _line(("là", 96), ("tà", 60), ("đạo", 96))
    assert rescore.correct(unsure, {})[1].text in {"ta", "tá"}  # both are far commoner after "là"


def test_a_confident_name_is_left_alone() -> None:
    # Three capitalised words in a row are a name: the pair counts know "trường" better than "Trương".
    words = _line(("TT", 96), ("Trương", 96), ("Hòa", 96), ("Bình", 96))
    assert rescore.correct(words, {}) == words


def test_the_pair_model_knows_both_neighbours() -> None:
    pairs = wordpairs.model()
    assert pairs.total > 10_000_000  # the legal corpus, not only the project's own text
    assert pairs.score("phố", "thành", None) > pairs.score("phó", "thành", None) + 3
    assert pairs.score("phó", None, "chủ") > pairs.score("phố", None, "chủ") + 3
    assert 0 < pairs.after("phố", "thành") < 1 and 0 < pairs.after("xyz", "thành") < pairs.unigram("phố")


def test_edits_are_named_by_what_the_recognizer_tends_to_drop() -> None:
    assert rescore.edits("tô", "tổ") == {"tone+"}
    assert rescore.edits("phó", "phố") == {"mark"}
    assert rescore.edits("đục", "dục") == {"d"}
    assert rescore.edits("tà", "ta") == {"tone-"}
    assert rescore.edits("vì", "vị") == {"tone~"}
    assert rescore.edits("lôi", "lợi") == {"mark", "tone+"}
    assert rescore.edits("bán", "bắt") == {"letter"}


def test_words_and_abbreviations_the_model_cannot_judge_are_kept() -> None:
    words = _line(("UBND", 60), ("262/QĐ-UBND", 70), ("(TTHC),", 65), ("Sở", 50))
    assert rescore.correct(words, {}) == words
    # Capitals that are no syllable are an abbreviation the list lacks; one letter is a list marker.
    others = _line(("TT", 60), ("VT,", 60), ("c)", 60), ("HĐND", 60))
    assert rescore.correct(others, {}) == others
    # A heading's misread syllable is spelt like a syllable: it is no abbreviation.
    heading = _line(("GIÁM", 96), ("ĐÓC", 92))
    assert [w.text for w in rescore.correct(heading, {})] == ["GIÁM", "ĐỐC"]
    # So is one no rule of spelling allows ("uyé" is no rhyme) but other marks on its letters do.
    title = _line(("QUYÉT", 91), ("ĐỊNH:", 96))
    assert [w.text for w in rescore.correct(title, {})] == ["QUYẾT", "ĐỊNH:"]
    codes = _line(("CTrTT", 60), ("NCL", 60), ("THADS", 60), ("LĐTBXH", 60), ("PCVP", 60))
    assert rescore.correct(codes, {}) == codes


def test_the_original_reading_survives_the_record_round_trip() -> None:
    changed = Word(
        text="truyền", left=1, top=2, width=3, height=4, confidence=71, ocr_text="truyễn", ocr_confidence=71
    )
    assert Word.model_validate_json(changed.model_dump_json()) == changed
    old = Word.model_validate(
        {"text": "hồ", "left": 1, "top": 2, "width": 3, "height": 4, "confidence": 90.0}
    )
    assert old.ocr_text is None and old.ocr_confidence is None


def _recall(truth: str, text: str) -> tuple[Counter[str], Counter[str]]:
    """The truth's words found in `text` (order-free), and the truth's words."""
    want = Counter(unicodedata.normalize("NFC", truth).split())
    return want & Counter(unicodedata.normalize("NFC", text).split()), want


def test_a_real_ocr_run_with_the_correction_loses_nothing_and_finds_more() -> None:
    # A small-print page of the packaged sample text, which the pair counts were not built from (held out).
    held_out = clean_lines(
        (tesseract.ADMIN_WORDS.parents[2] / "samples" / "data" / "vi-sample.txt").read_text(encoding="utf-8")
    )
    page = make_page(
        seed=3, dpi=300, lines=12, font_pt=8, degradation=Degradation(blur=1.0, noise=6), texts=held_out
    )
    pixels = np.array(page.image.convert("RGB"))[:, :, ::-1].copy()
    plain = process_page(pixels, dpi=300, options=OcrOptions(correct_syllables=False)).analysis
    corrected = process_page(pixels, dpi=300).analysis
    found_plain, _ = _recall(page.text, plain.text)
    found, _ = _recall(page.text, corrected.text)
    assert not found_plain - found, "a word read right without the correction was lost with it"
    assert found.total() > found_plain.total()
    assert [w.ocr_text or w.text for w in corrected.words] == [w.text for w in plain.words]
    changed = [w for w in corrected.words if w.ocr_text is not None]
    assert changed and all(w.ocr_confidence is not None for w in changed)
    assert corrected.text.split() == [w.text for w in corrected.words]


def test_a_run_goes_on_across_the_lines_of_its_paragraph() -> None:
    # "triển khai mạnh / mẽ tại": alone at the start of its line, an unsure "mẽ" gave way to the commoner
    # "mẹ" on the generated pages; the last word of the line above is its context.
    first = _line(("triển", 96), ("khai", 96), ("mạnh", 95))
    second = [w.model_copy(update={"line": 1, "top": 50}) for w in _line(("mẽ", 73), ("tại", 96), ("xã", 96))]
    choices = by_box([_choices(second[0], {1: [("ẽ", 80.0), ("ẹ", 78.0)]})])
    words = first + second
    assert rescore.correct(words, choices)[3].text == "mẹ"  # each line alone, as before
    same_paragraph = [(1, 1)] * len(words)
    assert rescore.correct(words, choices, same_paragraph)[3].text == "mẽ"
    # Two paragraphs are two contexts, as two lines were.
    two = [(1, 1)] * 3 + [(1, 2)] * 3
    assert rescore.correct(words, choices, two)[3].text == "mẹ"


def test_the_page_reading_gives_the_paragraphs_to_the_correction() -> None:
    from sohoa.ocr.pipeline import _words_and_text

    def tsv(text: str, left: int, line: int, conf: float) -> tesseract.RecognizedWord:
        return tesseract.RecognizedWord(text, left, 10 + 40 * line, 90, 30, conf, (1, 1, line + 1))

    read = [tsv("triển", 0, 0, 96), tsv("khai", 100, 0, 96), tsv("mạnh", 200, 0, 95)]
    read += [tsv("mẽ", 0, 1, 73), tsv("tại", 100, 1, 96), tsv("xã", 200, 1, 96)]
    mark = (CharChoice("m", 99.0, (("m", 95.0),)), CharChoice("ẽ", 99.0, (("ẽ", 80.0), ("ẹ", 78.0))))
    choices = [WordChoices((0, 50, 90, 80), mark)]
    words, text = _words_and_text(tesseract.Recognition(read, choices), correct=True)
    assert text == "triển khai mạnh\nmẽ tại xã" and words[3].line == 1


def test_a_word_whose_pairs_were_left_out_has_no_edge_over_a_known_one() -> None:
    # "quây" (5 times in the corpus, no pair kept) against "quầy" (80 times, 53 of them in kept pairs, none
    # with "tiếp"): the share of "quầy"'s occurrences the kept pairs do not hold goes to the unigram too.
    # Before, P(tiếp | quây) was 21 times P(tiếp | quầy), and "tại quầy tiếp nhận" read as "quây".
    pairs = wordpairs.model()
    assert pairs.after("tiếp", "quây") < 3 * pairs.after("tiếp", "quầy")
    # A known pair still outweighs the unigram by far.
    assert pairs.after("thuốc", "quầy") > 100 * pairs.after("thuốc", "quây")


def test_a_pair_far_rarer_than_its_spelling_with_other_marks_is_counted_as_its_slip() -> None:
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "build_ocr_language_data.py"
    spec = importlib.util.spec_from_file_location("build_ocr_language_data", script)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    counts = Counter({("thẩm", "quyền"): 32016, ("thâm", "quyên"): 90, ("chi", "ngân"): 1188})
    counts[("chỉ", "ngân")] = 40  # 30 times rarer: a pair of its own ("chỉ ngân sách trung ương...")
    assert build.merge_slips(counts) == 1
    assert counts[("thẩm", "quyền")] == 32106 and ("thâm", "quyên") not in counts
    assert counts[("chỉ", "ngân")] == 40
    # The shipped counts were built so.
    assert wordpairs.model().pair("thâm", "quyên") == 0 < wordpairs.model().pair("thẩm", "quyền")
