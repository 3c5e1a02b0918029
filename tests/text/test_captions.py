"""Per-caption features: counts, emojis, language, sentiment, and bad input."""

import fcntl
import os
import pty
import random
import struct
import subprocess
import sys
import termios

import emoji
import numpy as np
import pandas as pd
import pytest

from insta_kedro.text.captions import (
    CREDIT,
    LANGUAGES,
    NUMERIC_FEATURES,
    TextStats,
    _language_identifier,
    caption_features,
    caption_parts,
    detect_language,
    detect_languages,
    emojis_in,
    plain_text,
    read_captions,
    scan_emojis,
    sentiment,
    strip_credits,
    unstyled,
    without_contractions,
)
from insta_kedro.text.tags import extract_hashtags, extract_mentions
from insta_kedro.text.words import words_of

BAD_CAPTIONS = {
    "empty": "",
    "whitespace": "  \n\t ",
    "emoji_only": "🤍🤍✨🏋️‍♀️👍🏽",
    "hashtag_only": "#fitfam #legday #gymlife",
    "mention_only": "@kyliecosmetics @kylieskin",
    "german": "Heute waren wir in den Bergen wandern und das Wetter war einfach wunderbar.",
    "japanese": "今日は友達と一緒に美味しいラーメンを食べに行きました。",
    "arabic": "ذهبنا اليوم إلى الشاطئ وكان الطقس جميلا جدا",
    "very_long": "so happy with this new collection " * 3000 + "#launch " * 500,
    "digits_and_punctuation": "1234 !!! ??? ... 42",
}


def test_counts_of_hashtags_mentions_and_emojis():
    text = "Leg day done 💪🏽🔥 with @liftwithleo and @fit.priya! #legday #GymLife email@x.com"
    assert emojis_in(text) == ["💪🏽", "🔥"]
    row = caption_features(pd.Series([text])).iloc[0]
    assert row["hashtag_count"] == 2
    assert row["mention_count"] == 2
    assert row["emoji_count"] == 2
    assert row["length"] == len(text)


def test_a_hashtag_with_combining_marks_is_no_word():
    rows = caption_features(pd.Series(["love #สวัสดี today", "#हिन्दी दिवस"]))
    assert rows["word_count"].tolist() == [2, 1]
    assert rows["hashtag_count"].tolist() == [1, 1]


def test_words_of_chinese_japanese_and_thai_are_counted_one_by_one():
    # Written without spaces: each sentence counted as one word before.
    rows = caption_features(
        pd.Series(
            [
                "今日は友達と渋谷でラーメンを食べました🍜 #ラーメン",
                "今天和朋友去吃火锅，太好吃了！",
                "วันนี้ไปทะเลกับเพื่อนๆ อากาศดีมาก",
                "Sunday brunch with the girls #brunch",
            ]
        )
    )
    assert rows["word_count"].iloc[0] >= 10
    assert rows["word_count"].iloc[1] >= 6
    assert rows["word_count"].iloc[2] >= 7
    assert rows["word_count"].iloc[3] == 5
    japanese = caption_parts(BAD_CAPTIONS["japanese"]).words
    assert {"今日", "友達", "一緒", "ラーメン"} <= set(japanese)


def test_a_zwj_sequence_is_one_emoji():
    assert emojis_in("🏋️‍♀️") == ["🏋️‍♀️"]
    assert caption_features(pd.Series(["👨‍👩‍👧"])).iloc[0]["emoji_count"] == 1


SENTENCES = {
    "en": "This is the best pasta I have ever made at home, no shortcuts",
    "fr": "Une belle journée au bord de la mer avec mes amis, on a mangé des crêpes délicieuses.",
    "es": "Hoy fuimos a la playa con mis amigos y comimos unos tacos buenísimos.",
    "de": BAD_CAPTIONS["german"],
    "ru": "Сегодня мы гуляли в парке с друзьями, и погода была просто чудесная.",
    "ja": BAD_CAPTIONS["japanese"],
    "ar": BAD_CAPTIONS["arabic"],
    "zh": "今天我们和朋友一起去公园散步，天气非常好。",  # langdetect said zh-cn or zh-tw
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_language_of_a_clear_sentence(language):
    stats = TextStats()
    assert detect_language(SENTENCES[language], stats=stats) == language
    assert stats.language_undetermined == {}


def test_short_english_captions_langdetect_got_wrong():
    # langdetect (seed 0) read these real captions as pt and no; hashtags, mentions and
    # emojis are not read.
    assert detect_language("Care for a dance?") == "en"
    assert detect_language("#tbt Care for a dance? 💃 @maya") == "en"
    assert detect_language("91 never felt so good") == "en"


def test_undetermined_language_and_its_reason():
    stats = TextStats()
    assert detect_language("", stats=stats) == "und"
    assert detect_language("me again", stats=stats) == "und"
    assert detect_language("#fitfam #legday @leo 💪 https://example.com", stats=stats) == "und"
    assert detect_language(BAD_CAPTIONS["emoji_only"], stats=stats) == "und"
    assert detect_language("WWWWWWWWWWWWWW!!!", stats=stats) == "und"  # no n-gram it knows
    assert detect_language("ok ok ok ok ok ok ok", stats=stats) == "und"
    assert stats.language_undetermined == {
        "empty": 1,
        "too_few_letters": 3,
        "no_features": 1,
        "low_probability": 1,
    }


def test_min_probability_and_min_letters_are_applied():
    text = "Care for a dance?"  # 13 letters, py3langid about 0.66 sure
    stats = TextStats()
    assert detect_language(text, min_probability=0.9, stats=stats) == "und"
    assert detect_language(text, min_letters=14, stats=stats) == "und"
    assert stats.language_undetermined == {"low_probability": 1, "too_few_letters": 1}
    # No features stays "und" even when any probability would do.
    assert detect_language("WWWWWWWWWWWWWW", min_probability=0.0) == "und"


def test_only_langdetects_languages_are_answered():
    assert set(_language_identifier().labels) == set(LANGUAGES)
    assert len(LANGUAGES) == 54


def test_language_is_deterministic():
    texts = [
        "sun, sea and a good book: the perfect lazy weekend by the water",
        "Happy June! Let’s boogie.",
        "SUNDAY SCARIES",
        "Costume idea: in Gun Moll (1974)",
    ]
    first = [detect_language(text) for text in texts]
    for _ in range(3):
        assert [detect_language(text) for text in texts] == first


def test_sentiment_sign_and_english_only():
    assert sentiment("I love this, what a wonderful happy day!", "en") > 0.5
    assert sentiment("This is awful, I hate it, terrible day.", "en") < -0.5
    assert sentiment("🤍😍", "und") > 0  # VADER reads emojis
    assert sentiment(BAD_CAPTIONS["german"], "de") == 0.0


@pytest.mark.parametrize("name", sorted(BAD_CAPTIONS))
def test_every_feature_is_defined_for_bad_input(name):
    features = caption_features(pd.Series([BAD_CAPTIONS[name]]))
    values = features[list(NUMERIC_FEATURES)].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    assert features.iloc[0]["language"]


def test_missing_and_non_string_captions_read_as_empty():
    stats = TextStats()
    features = caption_features(
        pd.Series([None, np.nan, "", "hello world, lovely day"]), stats=stats
    )
    assert features["length"].tolist()[:3] == [0, 0, 0]
    assert (features.iloc[:3][list(NUMERIC_FEATURES)] == 0).all().all()
    assert stats.empty == 3
    assert stats.captions == 4


def test_empty_series_has_the_columns():
    features = caption_features(pd.Series([], dtype=object))
    assert list(features.columns) == [*NUMERIC_FEATURES, "language"]
    assert features.empty


def test_very_long_caption_is_read_up_to_max_chars_and_counted():
    stats = TextStats()
    features = caption_features(pd.Series([BAD_CAPTIONS["very_long"]]), stats=stats)
    assert features.iloc[0]["hashtag_count"] == 500
    assert features.iloc[0]["language"] == "en"
    assert features.iloc[0]["sentiment"] > 0
    assert stats.longer_than_max_chars == 1


def _run(script: str, terminal: bool) -> str:
    """Output (stdout and stderr) of ``script`` in a new Python, in a pseudo-terminal or a pipe."""
    command = [sys.executable, "-c", script]
    if not terminal:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
    controller, terminal_end = pty.openpty()
    # A terminal 100 columns wide (a new pseudo-terminal has none, and a bar then fits none).
    fcntl.ioctl(terminal_end, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    process = subprocess.Popen(command, stdout=terminal_end, stderr=terminal_end)
    os.close(terminal_end)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(controller)
    return output.decode(errors="replace")


def test_a_progress_bar_shows_in_a_terminal_and_not_in_a_pipe():
    script = (
        "import pandas as pd\n"
        "from insta_kedro.text.captions import caption_features\n"
        "caption_features(pd.Series(['a caption about the sea'] * 40), progress='reading')\n"
    )
    assert "reading: 100%" in _run(script, terminal=True)
    assert "reading" not in _run(script, terminal=False)


def _tricky_texts(count: int, seed: int = 0) -> list[str]:
    """Random strings of emojis (whole and cut), their parts (ZWJ, selectors, skin tones,
    keycaps, tags), letters, digits, '#', '@', spaces and punctuation."""
    rng = random.Random(seed)
    emojis = list(emoji.EMOJI_DATA)
    parts = ["\u200d", "\ufe0f", "\ufe0e", "\u20e3", "#", "*", "1", "a", "B", " ", "é", "\u0301"]
    parts += ["🏻", "🏽", "♀", "♂", "\U000e0067", "\U000e007f", "🇺", "🇸", "©", "@x", "!", ":)"]
    texts = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(0, 8)):
            if rng.random() < 0.3:
                whole = rng.choice(emojis)
                cut = rng.randint(0, len(whole))
                pieces.append(rng.choice([whole, whole[:cut], whole[cut:]]))
            else:
                pieces.append(rng.choice(parts))
        texts.append("".join(pieces))
    return texts


def test_scan_emojis_equals_the_emoji_package():
    texts = _tricky_texts(20_000) + [*BAD_CAPTIONS.values(), "#1️⃣ 🏋️‍♀️👍🏽 a🏻\u200d👩 x"]
    for text in texts:
        replaced, found = scan_emojis(text)
        assert replaced == emoji.replace_emoji(text, replace=" "), repr(text)
        assert found == [m["emoji"] for m in emoji.emoji_list(text)], repr(text)
        assert len(found) == emoji.emoji_count(text)


def test_caption_parts_are_what_the_functions_read():
    for text in [*BAD_CAPTIONS.values(), *_tricky_texts(2000, seed=3), "#a #b #a @c 🔥 http://x.y"]:
        parts = caption_parts(text)
        read = unstyled(text)
        assert parts.text == read
        assert parts.plain == plain_text(read)
        assert list(parts.words) == words_of(plain_text(read))
        assert list(parts.hashtags) == extract_hashtags(read, unique=False)
        assert parts.unique_hashtags() == extract_hashtags(read)
        assert list(parts.emojis) == emojis_in(read)
        assert caption_parts.__wrapped__(text) == parts  # the cache gives the uncached answer


STYLED = {  # as Instagram's font generators write "Excellent costume, all rise!"
    "bold": "𝐄𝐱𝐜𝐞𝐥𝐥𝐞𝐧𝐭 costume, 𝐚𝐥𝐥 𝐫𝐢𝐬𝐞!",
    "sans-serif bold": "𝗘𝘅𝗰𝗲𝗹𝗹𝗲𝗻𝘁 costume, 𝗮𝗹𝗹 𝗿𝗶𝘀𝗲!",
    "italic": "𝘌𝘹𝘤𝘦𝘭𝘭𝘦𝘯𝘵 costume, 𝘢𝘭𝘭 𝘳𝘪𝘴𝘦!",
    "bold script": "𝓔𝔁𝓬𝓮𝓵𝓵𝓮𝓷𝓽 costume, 𝓪𝓵𝓵 𝓻𝓲𝓼𝓮!",
    "script": "ℰ𝓍𝒸ℯ𝓁𝓁ℯ𝓃𝓉 costume, 𝒶𝓁𝓁 𝓇𝒾𝓈ℯ!",  # ℰ and ℯ are letterlike symbols
    "fraktur": "𝔈𝔵𝔠𝔢𝔩𝔩𝔢𝔫𝔱 costume, 𝔞𝔩𝔩 𝔯𝔦𝔰𝔢!",
    "fullwidth": "Ｅｘｃｅｌｌｅｎｔ costume, ａｌｌ ｒｉｓｅ！",
    "circled": "Ⓔⓧⓒⓔⓛⓛⓔⓝⓣ costume, ⓐⓛⓛ ⓡⓘⓢⓔ!",
}


@pytest.mark.parametrize("style", STYLED)
def test_styled_letters_read_as_plain_ones(style):
    plain = "Excellent costume, all rise!"
    assert unstyled(STYLED[style]) == plain
    assert caption_parts(STYLED[style]).words == ("Excellent", "costume", "all", "rise")
    styled_features = caption_features(pd.Series([STYLED[style] * 3]))
    plain_features = caption_features(pd.Series([plain * 3]))
    pd.testing.assert_frame_equal(styled_features, plain_features)  # length, language, sentiment


def test_styled_hashtags_are_read_and_emojis_kept():
    parts = caption_parts("𝐍𝐞𝐰 #𝐬𝐤𝐚𝐭𝐞𝐛𝐨𝐚𝐫𝐝 Ⓜ️ ‼️ ™️ café 𝟏𝟐𝟑")
    assert parts.hashtags == ("skateboard",)
    assert parts.emojis == ("Ⓜ️", "‼️", "™️")  # emojis of these blocks stay emojis
    assert parts.words == ("New", "café")
    text = "a plain caption 🔥 with é and 日本"
    assert unstyled(text) is text


def test_read_captions_gives_the_features_and_each_captions_parts():
    captions = pd.Series([*BAD_CAPTIONS.values(), None], index=range(10, 21))
    frame, parts = read_captions(captions)
    pd.testing.assert_frame_equal(frame, caption_features(captions), check_exact=True)
    assert parts == [caption_parts(c if isinstance(c, str) else "") for c in captions]
    for text, row in zip(captions.fillna(""), frame.itertuples(), strict=True):
        assert row.language == detect_language(text)
        assert row.mention_count == len(extract_mentions(text, unique=False))


def test_detect_languages_reads_many_texts_in_blocks_with_the_same_answers(monkeypatch):
    from insta_kedro.text import captions

    texts = [
        "Heute waren wir in den Bergen wandern und das Wetter war wunderbar",
        "We went hiking in the mountains and the weather was wonderful",
        "Hoy fuimos a caminar por las montañas y el clima fue maravilloso",
        "ok",
    ] * 5
    whole = detect_languages(texts)
    monkeypatch.setattr(captions, "READ_BLOCK", 3)
    assert detect_languages(texts) == whole == ["de", "en", "es", "und"] * 5


def test_strip_credits_removes_what_the_pattern_removes_and_spares_the_rest():
    credited = [
        "Backstage with the cast 📸: @kim.shoots",
        "📷 @kim 🎥 - @ann",
        "PHOTOGRAPHED BY @kim",
        "Photo By @kim and PICS: @ann",
        "ſhot by @kim",  # the pattern ignores case as Unicode does: ſ is s
        "Make it a double (C & C @jeff) c+c @ann",
        "CREDITS – @jeff, credit and consent: @ann",
    ]
    for text in credited:
        assert "@" not in strip_credits(text), text
        assert strip_credits(text) == CREDIT.sub(" ", text), text
    for text in ["Dinner with @ann at @thegarden", "no credit here", "photo shoot today"]:
        assert strip_credits(text) is text


def test_without_contractions_drops_negations_and_cuts_endings_but_keeps_names():
    text = "Don't stop, it’s Sarah's day! We'll see y'all, I've can't O'Keeffe rock'n'roll"
    assert without_contractions(text).split() == [
        "stop,", "it", "Sarah", "day!", "We", "see", "y,", "I", "O'Keeffe", "rock'n'roll",
    ]  # fmt: skip
    plain = "no apostrophe here"
    assert without_contractions(plain) is plain


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("맛있다 😋", "ko"),  # "delicious"
        ("주말 브런치 #브런치", "ko"),  # "weekend brunch"
        ("ㅋㅋ 최고", "ko"),  # "lol, the best"
        ("שבת שלום", "he"),
        ("ありがとう", "ja"),
        ("美味しい！", "ja"),  # kanji with kana
        ("Καλημέρα", "el"),
        ("อร่อยมาก", "th"),  # "very tasty"
        ("வணக்கம்", "ta"),
    ],
)
def test_a_short_caption_in_a_script_one_language_writes_has_that_language(text, language):
    stats = TextStats()
    assert detect_language(text, stats=stats) == language
    assert not stats.language_undetermined


def test_a_short_caption_in_a_script_many_languages_write_stays_undetermined():
    # Latin, Cyrillic, Arabic, Devanagari and Chinese characters are written by several of
    # the detector's languages: a few of them do not tell which. Hangul's letters alone
    # (Korean laughter) py3langid does not know: it reads them as Japanese.
    for text in ("me again", "спасибо", "شكرا لكم", "नमस्ते दोस्तों", "好吃", "me again 🇰🇷", "ㅋㅋㅋ"):
        stats = TextStats()
        assert detect_language(text, stats=stats) == "und", text
        assert stats.language_undetermined == {"too_few_letters": 1}
