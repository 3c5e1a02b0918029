"""The batched reading of py3langid's model gives py3langid's own answers."""

import random

import numpy as np
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from insta_kedro.ingestion import parse_download_folder
from insta_kedro.text.captions import LANGUAGES, _language_identifier, plain_text
from insta_kedro.text.language import BatchLanguageIdentifier, encode

CRAFTED = [
    "",
    " ",
    "a",
    "WWWWWWWWWWWWWW",  # none of the model's n-grams
    "ok ok ok ok ok ok ok",
    "SUNDAY SCARIES",  # all upper case: read lower-cased
    "Care for a dance?",
    "91 never felt so good",
    "Heute waren wir in den Bergen wandern und das Wetter war einfach wunderbar.",
    "Сегодня мы гуляли в парке с друзьями, и погода была просто чудесная.",
    "今日は友達と一緒に美味しいラーメンを食べに行きました。",
    "ذهبنا اليوم إلى الشاطئ وكان الطقس جميلا جدا",
    "café crème, e\u0301te\u0301 à Paris",  # decomposed accents: read as NFC
    "mixed English и русский text 日本",
    "so happy with this new collection " * 60,
    "\ud800 a lone surrogate",
]


def _assert_same_answers(texts: list[str], identifier: LanguageIdentifier) -> None:
    labels, probabilities = BatchLanguageIdentifier(identifier).classify(texts)
    expected = [identifier.classify(text) for text in texts]
    assert labels == [language for language, _ in expected]
    np.testing.assert_allclose(
        probabilities, [probability for _, probability in expected], rtol=1e-4, atol=1e-6
    )


def test_crafted_texts_get_py3langids_answers():
    _assert_same_answers(CRAFTED, _language_identifier())


def test_random_mixtures_of_scripts_get_py3langids_answers():
    rng = random.Random(3)
    pieces = [word for text in CRAFTED for word in text.split()] + ["!", "🙂", "#tag", "123"]
    texts = [" ".join(rng.choices(pieces, k=rng.randint(0, 30))) for _ in range(2000)]
    _assert_same_answers(texts, _language_identifier())


def test_real_captions_get_py3langids_answers(shared_instagram_dl):
    captions = parse_download_folder(shared_instagram_dl).posts["caption"].fillna("").tolist()
    assert captions
    _assert_same_answers([plain_text(caption) for caption in captions], _language_identifier())


def test_all_languages_of_the_model_and_other_restrictions():
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    _assert_same_answers(CRAFTED, identifier)  # 140 languages, script aliases folded
    identifier.set_languages(["en", "de", "fr"])
    _assert_same_answers(CRAFTED, identifier)
    assert set(_language_identifier().labels) == set(LANGUAGES)


def test_a_text_without_ngrams_gets_the_uniform_answer():
    labels, probabilities = BatchLanguageIdentifier(_language_identifier()).classify(
        ["WWWWWWWWWWWWWW", ""]
    )
    assert probabilities.tolist() == pytest.approx([1 / len(LANGUAGES)] * 2)
    assert labels == [_language_identifier().nb_classes[0]] * 2


def test_no_texts_and_the_bytes_read():
    labels, probabilities = BatchLanguageIdentifier(_language_identifier()).classify([])
    assert labels == [] and probabilities.shape == (0,)
    assert encode("HELLO") == b"hello"
    assert encode("e\u0301") == "é".encode()


def test_raw_scores_are_refused():
    raw = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    with pytest.raises(ValueError, match="normalized"):
        BatchLanguageIdentifier(raw)
