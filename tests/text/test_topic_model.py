"""TF-IDF → TruncatedSVD caption topics."""

import pickle

import numpy as np
from sklearn.decomposition import TruncatedSVD
from threadpoolctl import threadpool_limits

from insta_kedro.text import topic_model
from insta_kedro.text.topic_model import CaptionTopicModel, fit_topic_model, topic_terms

CAPTIONS = [
    "pasta night #foodie #homecooking",
    "fresh pasta and wine #foodie",
    "ramen bowl for dinner #foodie",
    "leg day at the gym #fitfam",
    "gym session, squats and deadlift #fitfam",
    "morning run then gym #fitfam",
    "",
] * 4


def test_topics_separate_word_families_and_keep_hashtags():
    model = fit_topic_model(CAPTIONS, n_topics=4, min_df=1)
    vocabulary = set(model.vectorizer.get_feature_names_out())
    assert {"#foodie", "#fitfam", "pasta", "gym"} <= vocabulary
    topics = model.transform(["pasta #foodie", "gym #fitfam", "pasta #foodie dinner"])
    similarity = topics @ topics.T / np.outer(*[np.linalg.norm(topics, axis=1)] * 2)
    assert similarity[0, 2] > 0.7
    assert abs(similarity[0, 1]) < 0.1


def test_words_and_hashtags_keep_their_combining_marks():
    model = fit_topic_model(["हिन्दी दिवस #हिन्दी", "नमस्ते दिवस", "दिवस #हिन्दी"] * 3, n_topics=2)
    assert {"दिवस", "#हिन्दी", "नमस्ते"} <= set(model.vectorizer.get_feature_names_out())


def test_styled_letters_are_the_plain_words():
    model = fit_topic_model(CAPTIONS, n_topics=4, min_df=1)
    styled, plain = model.transform(["𝐩𝐚𝐬𝐭𝐚 #𝐟𝐨𝐨𝐝𝐢𝐞", "pasta #foodie"])
    np.testing.assert_array_equal(styled, plain)
    assert styled.any()


def test_credits_are_no_words_of_the_topics():
    credited = [
        f"{caption} (C&C: @chef.luca) 📸: @studio.kim" if "#foodie" in caption else caption
        for caption in CAPTIONS
    ]
    model = fit_topic_model(credited, n_topics=4, min_df=1)
    vocabulary = set(model.vectorizer.get_feature_names_out())
    assert {"pasta", "#foodie"} <= vocabulary
    assert not {"chef", "luca", "studio", "kim"} & vocabulary
    with_credit, without = model.transform(["gym #fitfam (credit: @chef.luca)", "gym #fitfam"])
    np.testing.assert_array_equal(with_credit, without)


def test_web_addresses_and_contraction_endings_are_no_words_of_the_topics():
    captions = [
        "we'll make pasta, don't miss it: shop.pastaclub.com/events #foodie",
        "it's gym time, i've got this https://gym.example.org/join #fitfam",
        "they're cooking ramen again, isn't it great #foodie",
    ] * 4
    vocabulary = set(
        fit_topic_model(captions, n_topics=2, min_df=1).vectorizer.get_feature_names_out()
    )
    assert {"pasta", "ramen", "gym", "cooking", "#foodie"} <= vocabulary
    assert not {"ll", "don", "ve", "re", "isn", "com", "org", "https", "pastaclub"} & vocabulary


def test_always_n_topics_columns_and_zero_for_empty_text():
    model = fit_topic_model(CAPTIONS[:3], n_topics=16, min_df=1)
    topics = model.transform(["pasta", "", None])
    assert topics.shape == (3, 16)
    assert topics.dtype == np.float32
    assert not topics[1:].any()
    assert model.svd.n_components < 16


def test_nothing_to_fit_gives_zero_topics():
    for texts in ([], ["", "   "], ["🤍", "✨ !"]):
        model = fit_topic_model(texts, n_topics=8)
        assert model.vectorizer is None
        assert model.transform(["anything #at all"]).shape == (1, 8)
        assert not model.transform(["anything"]).any()
        assert model.top_terms() == []


def test_model_pickles_and_gives_the_same_topics(tmp_path):
    model = fit_topic_model(CAPTIONS, n_topics=4, min_df=1)
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps(model))
    restored: CaptionTopicModel = pickle.loads(path.read_bytes())
    np.testing.assert_array_equal(restored.transform(CAPTIONS), model.transform(CAPTIONS))
    assert len(model.top_terms(3)) == 4


def test_svd_fits_on_one_blas_thread(blas_threads_in_fit):
    # BLAS threads split sums differently: one thread gives the same topics on any machine
    threads = blas_threads_in_fit(TruncatedSVD)
    with threadpool_limits(limits=2, user_api="blas"):
        fit_topic_model(CAPTIONS, n_topics=4, min_df=1)
    assert threads and set(threads) == {1}


def test_words_of_chinese_japanese_and_thai_are_terms_and_hashtags_stay_whole(
    multilingual_captions,
):
    captions = [c for account in multilingual_captions.values() for c in account["captions"]]
    model = fit_topic_model(captions, n_topics=8, min_df=2)
    vocabulary = set(model.vectorizer.get_feature_names_out())
    # words each written by two captions or more (a whole sentence never was)
    assert {"ラーメン", "散歩", "旅行", "公斤", "ทะเล", "อร่อย", "night"} <= vocabulary
    assert {"#ラーメン", "#柴犬", "#健身", "#เที่ยวทะเล", "#맛스타그램"} <= vocabulary
    assert not {"は", "を", "的"} & vocabulary  # one character: no term, as "a" is none
    ramen, dog, gym = model.transform(
        ["味噌ラーメンが美味しい", "愛犬とお散歩", "今天去健身房练腿"]
    )
    assert ramen.any() and dog.any() and gym.any()


# The commonest words of the fixture's languages: articles, prepositions, pronouns, particles.
FUNCTION_WORDS = {
    "de", "que", "la", "el", "en", "los", "para", "con", "una",  # Spanish
    "em", "com", "um", "da", "do", "pra", "mais",  # Portuguese
    "le", "les", "et", "du", "des", "est", "pour", "une",  # French
    "der", "die", "und", "dem", "ein", "auf", "mit", "wir", "im",  # German
    "di", "il", "che", "per", "al", "più", "sono",  # Italian
    "yang", "dan", "ini", "itu", "untuk", "dengan", "aku",  # Indonesian
    "bir", "ve", "bu", "çok", "ile", "için", "ne",  # Turkish
    "って", "した", "から", "なり",  # Japanese endings
}  # fmt: skip


def test_topics_leave_out_the_stop_words_of_each_captions_language(multilingual_captions):
    captions = [c for account in multilingual_captions.values() for c in account["captions"]]
    model = fit_topic_model(captions, n_topics=16)
    vocabulary = set(model.vectorizer.get_feature_names_out())
    assert not FUNCTION_WORDS & vocabulary
    terms = {term for component in model.top_terms(8) for term in component}
    assert not FUNCTION_WORDS & terms
    # words of what the accounts post about, in each language, are terms
    assert {"receta", "viagem", "pamuk", "banget", "liburan", "散歩", "#gatos"} <= vocabulary


def test_a_words_stop_words_are_those_of_its_captions_language():
    # "hat" and "die" are German function words and English content words
    assert topic_terms("die neue mütze hat mir gefallen", "de") == ["neue", "mütze", "gefallen"]
    assert topic_terms("new hat, die hard #hat", "en") == ["hat", "die", "hard", "#hat"]
    assert topic_terms("Que rico, la paella de mi abuela #de", "es") == [
        "rico",
        "paella",
        "abuela",
        "#de",
    ]
    assert "que" in topic_terms("que rico", "und")  # too short to tell: English's alone


def test_transform_reads_the_languages_given_or_detects_them(multilingual_captions):
    captions = [c for account in multilingual_captions.values() for c in account["captions"]]
    model = fit_topic_model(captions, n_topics=8)
    spanish = "Tortilla de patatas y una paella para la cena con los amigos"
    detected, given = model.transform([spanish]), model.transform([spanish], ["es"])
    np.testing.assert_array_equal(detected, given)
    assert given.any()


def test_one_stop_word_list_for_every_caption_reads_as_before(multilingual_captions):
    captions = [c for account in multilingual_captions.values() for c in account["captions"]]
    model = fit_topic_model(captions, n_topics=8, stop_words="english")
    vocabulary = set(model.vectorizer.get_feature_names_out())
    assert {"que", "und", "yang"} <= vocabulary and not {"the", "with"} & vocabulary
    assert model.language is None
    listed = fit_topic_model(captions, n_topics=8, stop_words=["que", "und"])
    assert not {"que", "und"} & set(listed.vectorizer.get_feature_names_out())


def test_a_persian_hashtag_and_word_with_a_zero_width_non_joiner_are_one_term_each():
    # "#قورمه‌سبزی" (a stew) was "#قورمه" and a word "سبزی"; "ته‌دیگ" two words.
    captions = ["ناهار قورمه\u200cسبزی و ته\u200cدیگ #قورمه\u200cسبزی #غذای_ایرانی"] * 4
    vocabulary = set(fit_topic_model(captions, n_topics=2).vectorizer.get_feature_names_out())
    assert {"#قورمه\u200cسبزی", "قورمه\u200cسبزی", "ته\u200cدیگ", "#غذای_ایرانی"} <= vocabulary
    assert not {"#قورمه", "سبزی", "دیگ"} & vocabulary


def test_arabic_words_with_vowel_marks_or_tatweel_are_the_plain_words():
    # Vowel marks (a Friday blessing, "very", "thanks") and the stretching tatweel are how a
    # word is written, not another word; "في", "من", "على" are stop words however written.
    vocalized = "شكراً جداً، رحلة جمـــيلة فِي الصَّحْرَاءِ مِنْ الرِّيَاض إِلَى العُلَا #رحلة"
    plain = "شكرا جدا، رحلة جميلة في الصحراء من الرياض إلى العلا #رحلة"
    assert topic_terms(vocalized, "ar") == topic_terms(plain, "ar")
    assert not {"فِي", "مِنْ", "في", "من", "إِلَى", "إلى"} & set(topic_terms(vocalized, "ar"))
    assert "#جمـــيل" in topic_terms("#جمـــيل", "ar")  # a hashtag stays as written


def test_a_hebrew_acronym_is_one_term_however_its_gershayim_is_typed():
    # "צה\"ל" (the army) was "צה" and a letter, "סופ\"ש" (the weekend) "סופ".
    captions = ['תודה לצה"ל, סופ"ש בבית', "חזרתי מצה״ל לסופ״ש", "ג׳ירפה וג'ירפה בגן החיות"] * 4
    vocabulary = set(fit_topic_model(captions, n_topics=2).vectorizer.get_feature_names_out())
    assert {'לצה"ל', 'מצה"ל', 'סופ"ש', 'לסופ"ש', "ג'ירפה", "וג'ירפה"} <= vocabulary
    assert not {"לצה", "מצה", "סופ", "לסופ", "ירפה"} & vocabulary


def test_tokens_of_a_text_without_joiners_are_those_of_the_whole_pattern(multilingual_captions):
    texts = [c.lower() for account in multilingual_captions.values() for c in account["captions"]]
    texts += ["हिन्दी दिवस #हिन्दी", "a b #x #yy x1 _a", "café crème #café"]
    for text in texts:
        assert topic_model._TOKEN_WITHOUT_JOINERS.findall(text) == topic_model._TOKEN.findall(text)
