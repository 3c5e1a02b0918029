"""Class-based TF-IDF, top interests, exemplars and labels of clusters."""

import numpy as np
import pandas as pd

from insta_kedro.personas.description import (
    caption_hashtags,
    caption_reader,
    caption_words,
    class_tfidf,
    cluster_label,
    exemplars,
    interest_columns,
    member_tokens,
    top_interests,
)


def test_caption_tokens_drop_stop_words_mentions_and_emojis():
    caption = "Pasta night with the best friends 🍝 @maya.eats #Foodie #pasta"
    assert caption_words(caption) == ["pasta", "night", "best", "friends"]
    assert caption_hashtags(caption) == ["foodie", "pasta"]
    assert caption_words("") == [] and caption_hashtags(None) == []
    assert caption_hashtags("at #the #Louvre with #me") == ["louvre"]


def test_caption_words_read_contractions_as_the_word_before_the_apostrophe():
    caption = "It’s my mom’s day, don't y’all know? I’m sure we’ll can’t won't Valentine's"
    assert caption_words(caption) == ["mom", "day", "sure", "valentine"]
    # A name with an apostrophe is no contraction.
    assert caption_words("Georgia O’Keeffe") == ["georgia", "o'keeffe"]


def test_caption_words_leave_out_credits_and_web_addresses():
    caption = (
        "Prints at shop.magnumphotos.com/events and www.Example.org today "
        "(credit & consent: @someone) 📸: @photographer Harbour"
    )
    assert caption_words(caption) == ["prints", "today", "harbour"]


def test_caption_words_leave_out_the_stop_words_of_the_captions_language():
    caption = "Это было лучшее путешествие: мост над рекой"
    assert caption_words(caption, "ru") == ["лучшее", "путешествие", "мост", "над", "рекой"]
    assert "было" in caption_words(caption)  # read as English, Russian words are content
    spanish = "Un día en la playa con los amigos de mi hermano, que vida"
    assert caption_words(spanish, "es") == ["playa", "amigos", "hermano"]  # día, vida: common


def test_caption_reader_reads_each_caption_without_the_stop_words_of_its_language():
    russian = "Это было лучшее путешествие в моей жизни, мост над рекой"
    spanish = "Un día en la playa con los amigos de mi hermano, que vida tan bonita"
    english = "Pasta night with the best friends, homemade and delicious"
    words = caption_reader([russian, spanish, english, "ok", "", russian])
    assert words(russian) == tuple(caption_words(russian, "ru"))
    assert "было" not in words(russian) and "было" in caption_words(russian)
    assert words(spanish) == ("playa", "amigos", "hermano", "bonita")
    assert words(spanish) == tuple(caption_words(spanish, "es"))
    assert words(english) == ("pasta", "night", "best", "friends", "homemade", "delicious")
    assert words("ok") == () and words("") == []
    assert words("A caption it never saw") == caption_words("A caption it never saw")


def test_caption_words_of_japanese_chinese_and_thai_are_words_not_sentences():
    japanese = "今日は友達と渋谷でラーメンを食べました🍜 スープが濃厚で最高！ #ラーメン"
    assert caption_words(japanese, "ja")[:4] == ["今日", "友達", "渋谷", "ラーメン"]
    assert not {"は", "と", "で", "を", "した"} & set(caption_words(japanese, "ja"))  # particles
    chinese = "今天和朋友去吃火锅，太好吃了！周末快乐"
    assert {"朋友", "火锅", "周末", "快乐"} <= set(caption_words(chinese, "zh"))
    assert not {"和", "去", "吃"} & set(caption_words(chinese, "zh"))  # one character
    thai = "วันนี้ไปทะเลกับเพื่อนๆ อากาศดีมาก"
    assert {"ทะเล", "อากาศ"} <= set(caption_words(thai, "th"))


def test_cluster_words_of_accounts_writing_without_spaces(multilingual_captions):
    # Each account one class, as a persona of one person: its top words are words it writes
    # (a whole sentence before: "今朝も愛犬と公園をお散歩").
    captions = [c for account in multilingual_captions.values() for c in account["captions"]]
    words = caption_reader(captions)
    top = class_tfidf(
        {
            label: [w for caption in account["captions"] for w in words(caption)]
            for label, account in enumerate(multilingual_captions.values())
        },
        top_n=8,
    )
    names = list(multilingual_captions)
    assert "ラーメン" in dict(top[names.index("ramen_tabiko")])
    assert "散歩" in dict(top[names.index("shiba_no_hana")])
    assert "旅行" in dict(top[names.index("yama_aruki_jp")])
    assert "ทะเล" in dict(top[names.index("tai_talay_trip")])
    assert "อร่อย" in dict(top[names.index("kin_aroi_bkk")])
    for label, terms in top.items():
        if multilingual_captions[names[label]]["language"] in ("ja", "zh", "th"):
            assert all(len(term) <= 10 for term, _ in terms), (names[label], terms)


def test_class_tfidf_prefers_terms_distinctive_of_the_class():
    documents = {
        0: ["pasta", "pasta", "night", "love"],
        1: ["gym", "gym", "night", "love"],
        -1: [],
    }
    top = class_tfidf(documents, top_n=2)
    assert top[0][0][0] == "pasta" and top[1][0][0] == "gym"
    assert top[-1] == []
    assert top[0][0][1] > dict(class_tfidf(documents, top_n=4)[0])["love"]


def test_top_interests_mean_of_rows_with_interests_renormalized():
    frame = pd.DataFrame(
        {
            "interest_food": [1.0, 0.5, 0.0],
            "interest_travel": [0.0, 0.5, 0.0],
            "interest_pets": [0.0, 0.0, 0.0],
        }
    )
    assert top_interests(frame, top_n=2) == {"food": 0.75, "travel": 0.25}
    assert top_interests(frame.iloc[[2]]) == {}


def test_exemplars_are_the_most_central_members():
    reduced = np.array([[0.0, 0.0], [10.0, 0.0], [0.1, 0.0], [-10.0, 0.0]])
    ids = ["a", "far", "b", "other_far"]
    assert exemplars(ids, reduced, np.ones(4), top_n=2) == ["a", "b"]
    assert exemplars(ids, np.zeros((4, 0)), np.array([0.1, 0.9, 0.5, 0.2]), 2) == ["far", "b"]
    assert exemplars([], np.zeros((0, 2)), np.zeros(0)) == []


def test_label_is_short_and_readable():
    assert cluster_label(-1, {"food": 1.0}, ["x"], ["y"]) == "noise"
    assert cluster_label(3, {"food": 0.7, "travel": 0.1}, ["foodie"], ["pasta"]) == (
        "food · #foodie · pasta"
    )
    assert cluster_label(3, {"food": 0.5, "travel": 0.4}, ["food"], []) == "food · travel"
    assert cluster_label(4, {}, [], []) == "cluster 4"


def test_member_tokens_of_one_caption_or_a_list_per_member():
    by_post = pd.Series({"a": "pasta #foodie", "b": None, "c": "beach day"})
    assert list(member_tokens(pd.Series(["c", "a", "b", "x"]), by_post, caption_words)) == [
        "beach",
        "day",
        "pasta",
    ]
    by_profile = pd.Series({"p": ["#dog walk", None], "q": []})
    assert list(member_tokens(pd.Series(["p", "q"]), by_profile, caption_hashtags)) == ["dog"]


def test_member_tokens_gives_each_members_terms_once():
    by_profile = pd.Series({"p": ["#dog #dog walk", "#dog #park"], "q": ["#dog"]})
    assert list(member_tokens(pd.Series(["p", "q"]), by_profile, caption_hashtags)) == [
        "dog",
        "park",
        "dog",
    ]


def test_a_persona_is_described_by_the_terms_its_members_share_not_by_one_members_own():
    # "brandname" signs every post of one prolific member; two others write "#skate" once.
    by_profile = pd.Series(
        {
            "brand": ["#brandname new drop"] * 20,
            "rider": ["#skate park"],
            "kid": ["first kickflip #skate"],
            "lifter": ["#gym", "#gym day"],
            "runner": ["#gym run"],
        }
    )
    documents = {
        0: member_tokens(pd.Series(["brand", "rider", "kid"]), by_profile, caption_hashtags),
        1: member_tokens(pd.Series(["lifter", "runner"]), by_profile, caption_hashtags),
    }
    top = class_tfidf(documents, top_n=3, min_count=2)
    assert [term for term, _ in top[0]] == ["skate"]
    assert [term for term, _ in top[1]] == ["gym"]


def test_interest_columns_in_column_order():
    frame = pd.DataFrame(columns=["profile", "interest_pets", "feature", "interest_food"])
    assert interest_columns(frame) == ["interest_pets", "interest_food"]


def test_cluster_words_of_arabic_captions_with_vowel_marks_are_the_plain_words():
    # The vocalized "في" and "من" were words of a cluster; "جداً" and "جدا" two words.
    words = caption_words("الحمدُ لله، فُطُورٌ جميلٌ جداً فِي البَيْتِ مِنْ يَدِ أُمِّي", "ar")
    assert not {"فِي", "مِنْ", "في", "من"} & set(words)
    assert {"جميل", "جدا", "البيت"} <= set(words)
    assert caption_words("فطور جميل جدا في البيت", "ar") == ["فطور", "جميل", "جدا", "البيت"]


def test_cluster_words_of_korean_keep_words_of_two_syllables(multilingual_captions):
    # A Hangul character is a syllable: 카페 (café), 냉면 (cold noodles), 맥주 (beer) are words
    # of two, which the three-letter minimum of alphabets left out of a Korean account's words.
    found = caption_words("성수동 카페 투어 맛집 🍜 #카페", "ko")
    assert found == ["성수동", "카페", "투어", "맛집"]
    captions = multilingual_captions["seoul_cafe_day"]["captions"]
    words = {word for caption in captions for word in caption_words(caption, "ko")}
    assert {"카페", "냉면", "맥주", "주말"} <= words
    assert caption_words("my ex is ok", "en") == []  # other alphabets read as before
