"""The interest classifier trained on the lexicon's confident posts."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from insta_kedro.text.captions import caption_parts
from insta_kedro.text.interest_classifier import (
    caption_tokens,
    fit_interest_classifier,
    seed_labels,
    seed_weights,
    tokens_of,
)
from insta_kedro.text.interest_lexicon import REQUIRED_CATEGORIES, InterestLexicon

LEXICON = InterestLexicon.from_config(
    {**{c: [] for c in REQUIRED_CATEGORIES}, "comedy": ["meme", "lol"], "pets": ["puppy", "dog"]}
)


def test_seeds_are_the_confident_posts_only():
    weights = np.array([[3.0, 0.0], [1.0, 1.0], [0.2, 0.0], [0.0, 0.0]])
    assert seed_labels(weights, 1.5, 0.6).tolist() == [0, -1, -1, -1]


def test_a_crafted_corpus_reaches_past_the_lexicon():
    # seeds: "meme"/"lol" posts about office mondays, "puppy"/"dog" posts about walks
    comedy = [f"lol this meme about office mondays {i}" for i in range(8)]
    pets = [f"my puppy dog on the morning walk in the park {i}" for i in range(8)]
    classifier = fit_interest_classifier(
        comedy + pets, LEXICON, min_seed_weight=1.0, min_seeds=5, min_df=2
    )
    assert classifier.seeds == {"comedy": 8, "pets": 8}
    # no lexicon term in these two captions, yet each gets its category
    unseen = ["office on a monday again", "a walk in the park this morning"]
    assert LEXICON.weights(unseen).sum() == 0
    scores = classifier.predict(unseen + [""])
    comedy_at, pets_at = LEXICON.categories.index("comedy"), LEXICON.categories.index("pets")
    assert scores[0, comedy_at] > 0.5 and scores[1, pets_at] > 0.5
    assert scores[2].sum() == 0  # an empty caption gets nothing


def test_a_caption_with_no_word_the_model_knows_gets_nothing():
    # Its TF-IDF row is 0: the model would answer its intercepts, the same for every such
    # caption, confidently where there are two categories.
    comedy = [f"lol this meme about office mondays {i}" for i in range(8)]
    pets = [f"my puppy dog on the morning walk in the park {i}" for i in range(8)]
    classifier = fit_interest_classifier(comedy + pets, LEXICON, min_seed_weight=1.0, min_df=2)
    scores = classifier.predict(["zzz qqq", "ก๋วยเตี๋ยวเรือ", "office on a monday again"])
    assert not scores[:2].any()
    assert scores[2, LEXICON.categories.index("comedy")] > 0.5


def test_japanese_captions_reach_past_the_lexicon_by_their_words(multilingual_captions):
    # Seeds: the captions with two or more food or pet emojis. A caption without any shares
    # words with them ("ラーメン", "散歩"): before, its only word was its whole sentence.
    lexicon = InterestLexicon.from_config(
        {**{c: [] for c in REQUIRED_CATEGORIES}, "food": ["🍜", "😋", "☕"], "pets": ["🐶", "🐕"]}
    )
    captions = [
        caption
        for name in ("ramen_tabiko", "shiba_no_hana")
        for caption in multilingual_captions[name]["captions"]
    ]
    seeds = ["スープが濃厚なラーメン🍜😋", "朝のラーメン🍜☕"] * 3
    seeds += ["愛犬と散歩🐶🐕", "散歩の途中🐶🐕"] * 3
    classifier = fit_interest_classifier(
        captions + seeds, lexicon, min_seed_weight=1.5, min_seeds=5, min_df=2
    )
    assert set(classifier.seeds) == {"food", "pets"}
    unseen = ["新宿で味噌ラーメンを食べた", "今朝も公園をお散歩した"]
    assert lexicon.weights(unseen).sum() == 0
    scores = classifier.predict(unseen)
    food, pets = lexicon.categories.index("food"), lexicon.categories.index("pets")
    assert scores[0, food] > scores[0, pets] and scores[1, pets] > scores[1, food]
    assert "ラーメン" in caption_tokens("#東京ラーメン")


def test_seed_weights_tell_the_language_only_where_it_can_change_a_seed():
    # Italian "ai" (to the) and "gatto" are English lexicon terms here; in Italian "ai" weighs
    # nothing. A caption too light in English to be a seed keeps its English weights.
    lexicon = InterestLexicon.from_config(
        {**{c: [] for c in REQUIRED_CATEGORIES}, "tech": ["ai"], "pets": ["gatto", "puppy"]}
    )
    captions = [
        "Grazie di cuore ai miei amici, ai vecchi tempi",
        "Il mio gatto dorme sul divano tutto il giorno",
        "our new ai model is out today",
        "a puppy",
    ]
    parts = [caption_parts(caption) for caption in captions]
    told = lexicon.weights_of(parts)  # every caption weighed in its language
    weights = seed_weights(lexicon, parts, min_seed_weight=1.5)
    assert np.array_equal(seed_labels(weights, 1.5, 0.6), seed_labels(told, 1.5, 0.6))
    tech = lexicon.categories.index("tech")
    assert weights[0, tech] == told[0, tech] == 0.0  # Italian: "ai" is "to the"
    assert weights[2, tech] == told[2, tech] > 1.5  # English: the AI
    assert seed_labels(weights, 1.5, 0.6)[0] == -1


def test_the_model_fits_on_one_blas_thread(blas_threads_in_fit):
    # BLAS threads split sums differently: one thread gives the same model on any machine
    threads = blas_threads_in_fit(LogisticRegression)
    captions = ["lol this meme", "a meme lol", "my puppy dog", "dog and puppy"] * 3
    with threadpool_limits(limits=2, user_api="blas"):
        fit_interest_classifier(captions, LEXICON, min_seed_weight=1.0, min_seeds=2, min_df=1)
    assert threads and set(threads) == {1}


def test_too_few_seeds_fit_no_model():
    classifier = fit_interest_classifier(["lol meme", "a dog"], LEXICON, min_seeds=5)
    assert classifier.model is None
    assert classifier.predict(["lol"]).sum() == 0


def test_tokens_hold_words_hashtag_words_and_emojis():
    assert caption_tokens("Lol #StreetArt 😂") == ["lol", "street", "art", "😂"]


def test_hashtags_in_other_scripts_are_tokens():
    # A Russian account's travel posts: "#путешествие" is learnt from the posts that also
    # have "#wanderlust", and tells the others; before, such a hashtag was no token at all.
    lexicon = InterestLexicon.from_config(
        {**{c: [] for c in REQUIRED_CATEGORIES}, "travel": ["wanderlust"], "food": ["foodporn"]}
    )
    places = ["Байкал зимой", "Стамбул встретил солнцем", "Горы Алтая", "Камчатка", "Сочи"]
    dishes = ["Борщ со сметаной", "Сырники", "Пельмени", "Блины с икрой", "Оливье"]
    captions = [f"{place} #wanderlust #путешествие" for place in places]
    captions += [f"{dish} #foodporn #еда" for dish in dishes]
    classifier = fit_interest_classifier(captions, lexicon, min_seeds=5, min_df=1)
    assert caption_tokens("Карелия #путешествие") == ["карелия", "путешествие"]
    scores = classifier.predict(["Карелия, озёра и тишина #путешествие"])[0]
    assert scores.argmax() == classifier.categories.index("travel") and scores.max() > 0.5


def test_arabic_words_with_vowel_marks_or_tatweel_are_the_plain_words():
    # "a lovely breakfast, very (tasty)": one word each, however it is written
    assert caption_tokens("فُطُورٌ جمـــيل جداً 😋") == caption_tokens("فطور جميل جدا 😋")
    assert caption_tokens("फ़ूड दिवस") == ["फ़ूड", "दिवस"]  # Devanagari keeps its vowel signs


def test_tokens_of_read_parts_and_predict_tokens_equal_the_text_functions():
    texts = ["", "Lol #StreetArt 😂 #streetart", "a dog!! 🐶 @x", "lol meme", "puppy dog #DogLife"]
    texts += ["meme lol haha", "dog puppy walk"] * 5
    assert [tokens_of(caption_parts(t)) for t in texts] == [caption_tokens(t) for t in texts]
    classifier = fit_interest_classifier(texts, LEXICON, min_seeds=2, min_df=1)
    assert classifier.model is not None
    tokens = [caption_tokens(t) for t in texts]
    assert np.array_equal(classifier.predict_tokens(tokens), classifier.predict(texts))


def test_above_max_fit_the_seeds_come_from_a_seeded_sample_of_that_size():
    comedy = [f"lol this meme about office mondays {i}" for i in range(40)]
    pets = [f"my puppy dog on the morning walk in the park {i}" for i in range(40)]
    captions = comedy + pets
    settings = {"min_seed_weight": 1.0, "min_seeds": 5, "min_df": 2, "seed": 3}

    sampled = fit_interest_classifier(captions, LEXICON, max_fit=30, **settings)
    assert sum(sampled.seeds.values()) == 30  # every caption is a seed: 30 were read
    again = fit_interest_classifier(captions, LEXICON, max_fit=30, **settings)
    assert again.seeds == sampled.seeds
    np.testing.assert_array_equal(again.model.coef_, sampled.model.coef_)
    assert sampled.predict(["office on a monday again"]).argmax() == LEXICON.categories.index(
        "comedy"
    )

    # at or below max_fit, every caption is read: the same model as without a limit
    whole = fit_interest_classifier(captions, LEXICON, **settings)
    at_limit = fit_interest_classifier(captions, LEXICON, max_fit=len(captions), **settings)
    assert whole.seeds == at_limit.seeds == {"comedy": 40, "pets": 40}
    np.testing.assert_array_equal(at_limit.model.coef_, whole.model.coef_)
