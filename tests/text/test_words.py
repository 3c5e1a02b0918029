"""The words of a text in any script: Chinese, Japanese and Thai split by ICU's word breaks."""

import pytest

from insta_kedro.text.words import WORD, is_compact, is_spaceless, segmented, words_of

SPACELESS = ("ja", "zh", "th")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("今日は友達と渋谷でラーメンを食べました", {"友達", "渋谷", "ラーメン"}),
        ("週末は愛犬と公園をお散歩", {"週末", "愛犬", "公園", "散歩"}),
        ("今天和朋友去吃火锅，太好吃了！", {"今天", "朋友", "火锅"}),
        ("今天和朋友去吃火鍋", {"朋友", "火鍋"}),  # Traditional characters
        ("วันนี้ไปทะเลกับเพื่อนๆ อากาศดีมาก", {"ทะเล", "อากาศ"}),
        ("Tokyoラーメン最高", {"Tokyo", "ラーメン", "最高"}),
    ],
)
def test_a_text_without_spaces_is_split_into_its_words(text, words):
    found = words_of(text)
    assert words <= set(found)
    assert "".join(found) == "".join(WORD.findall(text))  # no letter lost, none added


def test_no_caption_of_a_language_without_spaces_is_one_word(multilingual_captions):
    # Before, a word was a whole phrase: "今日は友達と渋谷でラーメンを食べました" (19 letters).
    for account in multilingual_captions.values():
        if account["language"] not in SPACELESS:
            continue
        for caption in account["captions"]:
            found = words_of(caption)
            assert len(found) > len(caption.split()), caption
            assert max(map(len, found)) <= 10, (caption, found)


def test_text_with_spaces_reads_as_before(multilingual_captions):
    texts = [
        caption
        for account in multilingual_captions.values()
        if account["language"] not in SPACELESS
        for caption in account["captions"]
    ]
    texts += ["नमस्ते दिवस", "Café crème à Paris", "don't stop O'Keeffe", "Москва 2024", "・・・"]
    for text in texts:
        assert words_of(text) == WORD.findall(text), text


def test_segmented_keeps_letters_only_and_leaves_other_scripts_whole():
    assert segmented("ラーメン2杯") == ("ラーメン", "杯")
    assert segmented("떡볶이") == ("떡볶이",)  # Korean puts spaces between its words
    assert segmented("brunch") == ("brunch",)
    beyond_bmp = segmented("𠮷野家で牛丼")  # 𠮷 is U+20BB7
    assert "".join(beyond_bmp) == "𠮷野家で牛丼" and beyond_bmp[0].startswith("𠮷")


def test_is_spaceless():
    assert is_spaceless("ラーメン") and is_spaceless("ー") and is_spaceless("ทะเล")
    assert not is_spaceless("ramen") and not is_spaceless("떡볶이") and not is_spaceless("दिवस")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Persian writes a zero-width non-joiner inside a word, between a stem and its
        # prefix or suffix: "I want", "books", "potato", the ezafe of "breakfast".
        ("می\u200cخوام کتاب\u200cها بخونم", ["می\u200cخوام", "کتاب\u200cها", "بخونم"]),
        ("صبحونه\u200cی جمعه و سیب\u200cزمینی", ["صبحونه\u200cی", "جمعه", "و", "سیب\u200cزمینی"]),
        # Sinhala's "Sri" holds a zero-width joiner (ශ ් ZWJ ර ී).
        ("ශ්\u200dරී ලංකා", ["ශ්\u200dරී", "ලංකා"]),
        # One that ends a word, or stands before no letter, is no part of it.
        ("کتاب\u200c ها ok\u200c 🙂", ["کتاب", "ها", "ok"]),
    ],
    ids=["persian", "persian_ezafe", "sinhala", "trailing"],
)
def test_zero_width_joiners_inside_a_word_keep_it_one_word(text, words):
    assert words_of(text) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # An acronym's gershayim, typed as '"' or as ״: "back from reserve duty in the army",
        # "the weekend at the beach", "Tel Aviv".
        ('חזרתי מהמילואים בצה"ל', ["חזרתי", "מהמילואים", 'בצה"ל']),
        ("סופ״ש בים בת״א", ["סופ״ש", "בים", "בת״א"]),
        # A geresh marks a sound foreign to Hebrew: "giraffe", "chips".
        ("ג׳ירפה וצ'יפס", ["ג׳ירפה", "וצ'יפס"]),
        # Quotes around a word, or after its last letter, are no part of it.
        ('אמר "שלום" ר\' יוסי', ["אמר", "שלום", "ר", "יוסי"]),
        ('he said "hi"', ["he", "said", "hi"]),
    ],
    ids=["acronym", "gershayim", "geresh", "quoted", "latin"],
)
def test_a_hebrew_gershayim_or_geresh_inside_a_word_keeps_it_one_word(text, words):
    assert words_of(text) == words


def test_is_compact():
    assert is_compact("카페") and is_compact("ㅋㅋ")
    assert is_compact("ラーメン") and is_compact("ทะเล")
    assert not is_compact("cafe") and not is_compact("दिवस") and not is_compact("кафе")
