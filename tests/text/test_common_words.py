"""The stop words of a caption's language."""

from insta_kedro.text.common_words import folded, is_stop_word, stop_words


def test_stop_words_are_english_and_the_commonest_words_of_the_captions_language():
    english = stop_words("en")
    assert {"the", "new", "time", "people", "it's"} <= english  # generic, not only grammar
    assert not {"pasta", "skateboard", "museum"} & english
    assert stop_words("und") == english  # a caption too short to tell
    assert {"что", "это", "было"} <= stop_words("ru") and "что" not in english
    assert {"og", "det"} <= stop_words("no")  # py3langid's "no" is wordfreq's "nb"
    assert english <= stop_words("ru") and english <= stop_words("xx")
    assert {"que", "para"} <= stop_words("es") and {"und", "mit"} <= stop_words("de")
    assert {"yang", "untuk"} <= stop_words("id") and {"bir", "için"} <= stop_words("tr")


def test_japanese_particles_and_endings_are_stop_words_of_any_language():
    stop = stop_words("ja")
    assert all(is_stop_word(word, stop) for word in ("は", "を", "した", "って", "から"))
    assert not any(is_stop_word(word, stop) for word in ("散歩", "ラーメン", "ごはん", "#は"))
    assert is_stop_word("the", stop) and not is_stop_word("pasta", stop)


def test_arabic_and_hebrew_words_are_read_without_their_marks_and_tatweel():
    assert folded("فِي") == "في" and folded("مِنْ") == "من" and folded("عَلَى") == "على"
    assert folded("جمـــيل") == "جميل"  # tatweel stretches a word, it is no letter of it
    assert folded("شكراً") == "شكرا" and folded("שָׁלוֹם") == "שלום"
    # a Hebrew gershayim or geresh is the ASCII quote typed on most keyboards
    assert folded("צה״ל") == folded('צה"ל') == 'צה"ל' and folded("ג׳ירפה") == "ג'ירפה"
    # other scripts keep their marks: a Devanagari vowel sign is part of the word
    assert folded("नमस्ते") == "नमस्ते" and folded("café") == "café" and folded("the") == "the"
    stop = stop_words("ar")
    assert all(is_stop_word(folded(word), stop) for word in ("فِي", "مِنْ", "عَلَى"))
