"""Interest scores from the lexicon in conf/ and from ImageNet labels."""

import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from wordfreq import get_frequency_dict

from insta_kedro.text import interest_lexicon
from insta_kedro.text.captions import CREDIT, caption_parts
from insta_kedro.text.interest_lexicon import (
    _EMOJI_MODIFIERS,
    OTHER,
    REQUIRED_CATEGORIES,
    InterestLexicon,
    image_label_interests,
    normalize_term,
    singulars,
    split_hashtag,
    without_credits,
)

CONF = Path(__file__).resolve().parents[2] / "conf" / "base" / "interests"


@pytest.fixture(scope="module")
def lexicon() -> InterestLexicon:
    return InterestLexicon.from_config(yaml.safe_load((CONF / "lexicon.yml").read_text()))


def share(lexicon: InterestLexicon, text: str, category: str) -> float:
    shares, _ = lexicon.scores([text])
    return float(shares[0, lexicon.categories.index(category)])


def test_the_shipped_tables_cover_the_required_categories():
    lexicon = yaml.safe_load((CONF / "lexicon.yml").read_text())
    table = yaml.safe_load((CONF / "imagenet_categories.yml").read_text())
    for category in REQUIRED_CATEGORIES:
        if category == OTHER:  # no terms: the category of no evidence
            assert not lexicon[category]
            continue
        assert len(lexicon[category]) >= 20, category
        if category != "comedy":  # no ImageNet object is a joke
            assert table[category].get("names"), category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("new outfit for the weekend #ootd", "fashion"),
        ("Leg day!! #fitnessmotivation", "fitness"),
        ("grandma's recipe, homemade pasta 🍝", "food"),
        ("🐶🐾", "pets"),
        ("new single out friday #newmusic", "music"),
        ("Vote on Tuesday, every election matters", "politics"),
        # on Instagram a launch is a product's: a rocket's says so
        ("so excited, the launch is tomorrow at 9am pst!!", "business"),
        ("Watching the rocket launch 🚀", "science"),
    ],
)
def test_captions_score_their_category_highest(lexicon, text, category):
    shares, matches = lexicon.scores([text])
    assert matches[0] >= 1
    assert lexicon.categories[int(np.argmax(shares[0]))] == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Sold out night at the theatre, thank you Brooklyn 🎶", "music"),
        ("Premiere of our film at the Egyptian Theater tonight", "film_tv"),
        ("Opening of my exhibition at the theatre's gallery", "art"),
    ],
)
def test_a_theatre_is_where_concerts_films_and_art_are_shown(lexicon, text, category):
    shares, _ = lexicon.scores([text])
    by_category = dict(zip(lexicon.categories, shares[0], strict=True))
    assert max(by_category, key=by_category.get) == category
    assert (
        lexicon.scores(["#theatre"])[0][0][
            [lexicon.categories.index(c) for c in ("music", "film_tv", "art")]
        ].min()
        > 0
    )


def test_shares_sum_to_one_or_are_all_zero(lexicon):
    shares, matches = lexicon.scores(["morning coffee and a croissant ☕🥐", "", "qwerty zxcv"])
    assert shares[0].sum() == pytest.approx(1.0)
    assert shares[1].sum() == 0 and shares[2].sum() == 0
    assert matches.tolist()[1:] == [0, 0]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("families", ("family", "familie")),
        ("selfies", ("selfy", "selfie")),
        ("dresses", ("dress", "dresse")),
        ("beaches", ("beach", "beache")),
        ("shoes", ("sho", "shoe")),  # both are tried: "tomatoes", "shoes"
        ("dogs", ("dog",)),
        ("glass", ()),
        ("yoga", ()),
    ],
)
def test_singulars_follow_the_regular_english_rules(word, expected):
    assert singulars(word) == expected


def test_a_plural_in_ies_is_not_read_as_a_word_in_i():
    lexicon = InterestLexicon.from_config(
        {name: [] for name in REQUIRED_CATEGORIES} | {"nature": ["sky"], "sports": ["ski"]}
    )
    assert share(lexicon, "blue skies", "nature") == 1.0  # not "ski"


def test_plurals_compound_hashtags_and_emoji_variants(lexicon):
    assert share(lexicon, "my dogs", "pets") == 1.0
    assert share(lexicon, "#weekendfoodie", "food") == 1.0
    # emoji presentation selector and skin tone are ignored
    assert normalize_term("💪🏽") == normalize_term("💪")
    assert share(lexicon, "☕️", "food") == 1.0


@pytest.mark.parametrize(
    ("text", "category"),
    [("🏋️‍♀️", "fitness"), ("🏃🏽‍♂️", "fitness"), ("💇‍♀️", "beauty"), ("🏄🏻‍♂️", "sports")],
)
def test_gendered_emoji_match_their_base_emoji(lexicon, text, category):
    # 🏋️‍♀️ is 🏋️ + ZWJ + ♀️ (the demo's fitness captions use it): the same activity
    assert normalize_term(text) == normalize_term(text[0])
    assert share(lexicon, f"morning session {text}", category) == 1.0


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("🐈\u200d⬛", "pets"),  # black cat
        ("👩🏽\u200d🍳", "food"),  # woman cook, with a skin tone
        ("👨\u200d🚀", "science"),  # man astronaut
        ("🧑\u200d🎨", "art"),  # artist
    ],
)
def test_a_zwj_sequence_that_is_no_term_is_read_by_the_words_of_its_name(lexicon, text, category):
    assert share(lexicon, f"meet the new one {text}", category) == 1.0
    (match,) = lexicon.matches(text)
    assert (match.term, match.source) == (normalize_term(text), "emoji")


@pytest.mark.parametrize("text", ["👩\u200d🦰", "👨🏿\u200d🦱", "🧑\u200d🦳", "👨\u200d🦲"])
def test_a_person_with_a_hair_component_is_no_beauty_interest(lexicon, text):
    # red, curly, white hair, bald: how the person looks, as a skin tone is ("hair" is a
    # beauty term, and the sequence's name is "woman: red hair")
    assert normalize_term(text) == normalize_term(text[0])
    assert lexicon.matches(text) == lexicon.matches(text[0])  # 👩 and 👨 are family terms
    assert share(lexicon, f"meet the new one {text}", "beauty") == 0.0


def test_a_zwj_sequence_whose_name_holds_no_term_matches_nothing(lexicon):
    assert lexicon.matches("🏴\u200d☠️") == []  # pirate flag


def test_a_user_category_is_used_and_required_ones_are_checked():
    config = {name: [name] for name in REQUIRED_CATEGORIES} | {"cars": ["porsche", "#carsofig"]}
    lexicon = InterestLexicon.from_config(config)
    assert share(lexicon, "my new Porsche", "cars") == 1.0
    with pytest.raises(ValueError, match="politics"):
        InterestLexicon.from_config({"fashion": ["dress"]})


def test_image_labels_by_name_and_by_index():
    table = yaml.safe_load((CONF / "imagenet_categories.yml").read_text())
    labels = pd.DataFrame(
        {
            "post_id": ["a", "a", "b", "b"],
            "rank": [1, 2, 1, 2],
            "label": ["golden_retriever", "pizza", "imagenet_class_963", "imagenet_class_700"],
            "probability": [0.6, 0.2, 0.9, 0.05],
        }
    )
    scores = image_label_interests(labels, table, REQUIRED_CATEGORIES)
    assert scores.loc["a", "pets"] == pytest.approx(0.75)
    assert scores.loc["a", "food"] == pytest.approx(0.25)
    assert scores.loc["b", "food"] == pytest.approx(1.0)  # 963 = pizza; 700 maps to nothing
    assert scores.loc["a", "top1_probability"] == pytest.approx(0.6)
    assert scores.loc["b", "top1_probability"] == pytest.approx(0.9)


def test_no_image_labels_gives_an_empty_frame():
    empty = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    scores = image_label_interests(empty, {}, REQUIRED_CATEGORIES)
    assert scores.empty
    assert list(scores.columns) == [*REQUIRED_CATEGORIES, "top1_probability"]


def test_every_category_has_a_one_line_description():
    lexicon = yaml.safe_load((CONF / "lexicon.yml").read_text())
    descriptions = yaml.safe_load((CONF / "categories.yml").read_text())
    assert list(descriptions) == list(lexicon)
    assert all(isinstance(d, str) and d and "\n" not in d for d in descriptions.values())


def test_a_generic_word_cannot_make_a_category_win(lexicon):
    # "love", "birthday", "home" five times against one "skateboard": sports still wins
    text = "love love love my birthday at home with love, then the skateboard park"
    weights = lexicon.weights([text])[0]
    assert lexicon.categories[int(np.argmax(weights))] == "sports"
    assert lexicon.term_weights["skateboard"] > 5 * lexicon.term_weights.get("music", 0)


@pytest.mark.parametrize("text", ["🔥🔥🔥", "New drop tonight 🔥", "🎂🎉 another year"])
def test_hype_and_birthday_emojis_are_no_evidence(lexicon, text):
    # 🔥 is praise on any post, 🎂 a birthday: neither says what a post is about
    assert not {m.term for m in lexicon.matches(text)} & {"🔥", "🎂"}


def test_compound_hashtags_are_split_into_words():
    assert split_hashtag("dogsofinstagram")[:2] == ("dogs", "of")
    assert split_hashtag("#StreetArt") == ("street", "art")
    assert split_hashtag("cafélife") == ("cafe", "life")  # accents off, not cut at
    assert split_hashtag("caf\u00e9life") == split_hashtag("cafe\u0301life")
    lexicon = InterestLexicon.from_config(
        {**{c: [] for c in REQUIRED_CATEGORIES}, "pets": ["dog"], "art": ["art"]}
    )
    found = {(m.term, m.tag) for m in lexicon.matches("#dogsofinstagram #streetart")}
    assert found == {("dog", "dogsofinstagram"), ("art", "streetart")}


# Tags the compiled search split otherwise when given wordsegment's counts as they are
# ("a my poehler", "every day", "health care"), besides common compounds.
SEGMENTATION_CASES = (
    "amypoehler",
    "everyday",
    "dollyparton",
    "abortionishealthcare",
    "dressingrooms",
    "badassbabes",
    "dogsofinstagram",
    "streetart",
    "fitnessmotivation",
    "birdhouseskateboards",
    "foodporn",
    "sunsetlovers",
)


@pytest.fixture
def fresh_segmentation():
    """split_hashtag with its segmentation and cache built anew, before and after."""
    interest_lexicon._segment.cache_clear()
    split_hashtag.cache_clear()
    yield
    interest_lexicon._segment.cache_clear()
    split_hashtag.cache_clear()


def test_the_compiled_search_splits_as_wordsegment_does(fresh_segmentation):
    pytest.importorskip("instant_segment", reason="no instant-segment wheel on this platform")
    import wordsegment

    baseline = wordsegment.Segmenter()
    baseline.load()
    for tag in SEGMENTATION_CASES:
        assert split_hashtag(tag) == tuple(baseline.segment(tag)), tag


def test_without_the_compiled_search_wordsegment_splits(fresh_segmentation, monkeypatch):
    monkeypatch.setitem(sys.modules, "instant_segment", None)  # import fails, as on Linux ARM
    assert split_hashtag("#StreetArt") == ("street", "art")
    assert split_hashtag("dogsofinstagram")[:2] == ("dogs", "of")
    # wordsegment's exhaustive search; the compiled one keeps one best split per position and
    # reads "fri start museum"
    assert split_hashtag("fristartmuseum") == ("frist", "art", "museum")


def test_a_mentioned_account_is_read_as_a_hashtag_at_its_weight():
    tables = {
        **{c: [] for c in REQUIRED_CATEGORIES},
        "sports": ["skateboards"],
        "film_tv": ["netflix"],
    }
    lexicon = InterestLexicon.from_config(tables, mention_weight=0.5)
    tag = lexicon.matches("new deck #birdhouseskateboards")
    mention = lexicon.matches("new deck from @BirdhouseSkateboards and @birdhouseskateboards")
    assert [(m.term, m.source, m.tag) for m in mention] == [
        ("skateboards", "mention", "birdhouseskateboards")  # once per post, split into words
    ]
    assert mention[0].weight == pytest.approx(0.5 * tag[0].weight)
    assert [m.term for m in lexicon.matches("finally watched it on @netflix.")] == ["netflix"]
    # an e-mail address names no account; a photo credit's account is left out with the credit
    assert {m.source for m in lexicon.matches("write to hello@netflix.com")} == {"word"}
    assert lexicon.matches("📸: @netflix") == []
    unread = InterestLexicon.from_config(tables, mention_weight=0.0)
    assert unread.matches("new deck from @birdhouseskateboards") == []
    parts = [caption_parts("new deck from @birdhouseskateboards @netflix #skateboards")]
    assert np.array_equal(lexicon.weights_of(parts), lexicon.weights([parts[0].text]))


@pytest.mark.parametrize(
    ("text", "opening"),
    [
        ("When you forget the punchline", "when you"),
        ("😂 WHEN   YOU're late again", "when you"),  # after emojis, any case and spacing
        ("#tbt when your dog eats the cake", "when your"),  # longest first, after hashtags
        ("POV: the train leaves without you", "pov:"),
        ("Me: nothing. Also me: everything", "me:"),
        ("Whenever you go, I go", None),  # a longer word is not the opening
        ("Me and you at the beach", None),
        ("Happy birthday! When you come back we party", None),  # not at the start
    ],
)
def test_an_opening_is_how_a_caption_starts(text, opening):
    tables = {
        **{c: [] for c in REQUIRED_CATEGORIES},
        "comedy": ["joke", "^when you", "^When  Your", "^pov:", "^me:"],
    }
    lexicon = InterestLexicon.from_config(tables, opening_weight=2.0)
    found = [(m.term, m.source, m.weight) for m in lexicon.matches(text)]
    assert found == ([(opening, "opening", 2.0)] if opening else [])
    assert lexicon.opening_of(caption_parts(text).plain) == opening
    parts = [caption_parts(text)]
    assert np.array_equal(lexicon.weights_of(parts), lexicon.weights([text]))
    unread = InterestLexicon.from_config(tables, opening_weight=0.0)
    assert [m for m in unread.matches(text) if m.source == "opening"] == []


@pytest.mark.parametrize("text", ["HOW İT STARTED", "how ıt started", "alſo me: waking up"])
def test_letters_that_only_fold_to_an_opening_s_are_no_opening(text):
    # "İ", "ı" and "ſ" are no "i" or "s" of an opening (nor do they stop the reading)
    tables = {**{c: [] for c in REQUIRED_CATEGORIES}, "comedy": ["^how it started", "^also me:"]}
    lexicon = InterestLexicon.from_config(tables, opening_weight=2.0)
    assert lexicon.opening_of(caption_parts(text).plain) is None
    assert lexicon.matches(text) == lexicon.matches(text[0])  # 👩 and 👨 are family terms
    assert share(lexicon, f"meet the new one {text}", "beauty") == 0.0


def test_the_shipped_openings_are_comedys_meme_formats(lexicon):
    assert set(lexicon.opening_categories) >= {"when you", "pov:", "tfw"}
    comedy = lexicon.categories.index("comedy")
    assert all(found == (comedy,) for found in lexicon.opening_categories.values())
    assert share(lexicon, "When you finally find the remote", "comedy") == 1.0
    assert "^when you" not in lexicon.term_categories  # not a word term


@pytest.mark.parametrize(
    "text",
    [
        "Backstage with the cast 📸: @kim.shoots",
        "Photo by @kim.shoots",
        "photography: @KimShoots • styling by @ann",
        "new poster, pic @kim",
    ],
)
def test_a_photo_credit_is_no_evidence_of_photography(lexicon, text):
    assert "photography" not in {
        lexicon.categories[i] for m in lexicon.matches(text) for i in m.categories
    }


@pytest.mark.parametrize(
    "text",
    [
        "Make it a double (C & C @jeff_the_athlete)",
        "so true (C&C: @athlete.jeff)",
        "this one (credit & consent: @jefftheathlete)",
        "Credit: @jefftheathlete",
        "c+c @jefftheathlete",
    ],
)
def test_the_creator_credited_by_a_repost_is_no_evidence(lexicon, text):
    assert lexicon.matches(text) == []  # "athlete" in the handle says nothing of the post
    assert lexicon.matches(text.replace("@", "#")) != []  # the words are in the lexicon


def test_photography_words_still_count(lexicon):
    assert share(lexicon, "Shot on film with my old Leica #streetphotography", "photography") == 1


CAPTIONS = [
    "",
    "Sunday run 🏃‍♀️ #marathontraining #Marathontraining @coach",
    "📸: @photog golden hour at the beach #travelgram",
    "photo by @anna.b — new outfit #ootd 👗👍🏽",
    "puppies and kittens!!! #dogsofinstagram 🐶🐶",
    "Heute waren wir in den Bergen wandern #wandern",
    "#1 #fitfam #legday 💪🏽 https://example.com/x",
    "new board from @birdhouseskateboards, watching @Netflix with @dogsofinstagram",
    "🙃 when you realize it's Monday #mood",
]


def test_weights_of_read_parts_equal_weights_of_the_texts(lexicon):
    parts = [caption_parts(text) for text in CAPTIONS]
    expected = lexicon.weights(CAPTIONS)
    assert np.array_equal(lexicon.weights_of(parts), expected)
    assert expected[2:4].sum() > 0  # photo credits are left out, the rest still counts
    credited = without_credits(parts[2])
    assert credited.text == CREDIT.sub(" ", CAPTIONS[2])
    assert without_credits(parts[4]) is parts[4]


def test_normalize_term_cache_gives_the_uncached_answer():
    for term in ["#Dogs", " Café ", "🏋️‍♀️", "👍🏽", 42, "STREET"]:
        normalized = unicodedata.normalize("NFC", str(term)).strip().lower().lstrip("#")
        assert normalize_term(term) == _EMOJI_MODIFIERS.sub("", normalized)
        assert normalize_term(term) == normalize_term(term)


def test_a_caption_in_styled_letters_matches_as_the_plain_one(lexicon):
    styled = "𝐍𝐞𝐰 𝐬𝐤𝐚𝐭𝐞𝐛𝐨𝐚𝐫𝐝 #𝐬𝐤𝐚𝐭𝐞𝐥𝐢𝐟𝐞 𝘄𝗵𝗲𝗻 𝘆𝗼𝘂 🛹"
    plain = "New skateboard #skatelife when you 🛹"
    assert np.array_equal(lexicon.match_counts(styled), lexicon.match_counts(plain))
    assert lexicon.match_counts(plain)[lexicon.categories.index("sports")] > 0
    opening = ("𝐖𝐡𝐞𝐧 𝐲𝐨𝐮 finally sleep", "When you finally sleep")
    assert np.array_equal(*map(lexicon.match_counts, opening))
    assert lexicon.match_counts(opening[1])[lexicon.categories.index("comedy")] > 0


def test_an_emoji_counts_once_per_caption_however_often_it_is_written(lexicon):
    once = lexicon.weights(["we won 🏆"])
    assert np.array_equal(lexicon.weights(["we won 🏆🏆🏆 🏆🏽"]), once)
    # in each caption once: two captions with it weigh twice one
    assert np.array_equal(lexicon.weights(["we won 🏆🏆", "🏆"]).sum(axis=0), 2 * once[0])
    assert [m.term for m in lexicon.matches("🏆🏆 and 🐶🐶🐶")] == [
        normalize_term("🏆"),
        normalize_term("🐶"),
    ]


TABLES = yaml.safe_load((CONF / "lexicon.yml").read_text())
NOT_THE_POSTERS = yaml.safe_load((CONF.parent / "parameters_text_features.yml").read_text())[
    "text_features"
]["interests"]["not_the_posters"]


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Your mom has a good eye", False),  # a joke about someone else's mother
        ("Tag your mom in the comments", False),
        ("watching his little brother win", False),  # within two words
        ("they brought their kids", False),
        ("my mom made dinner", True),
        ("me and my little brother", True),
        ("your mom and my mom", True),  # the second "mom" has "my" before it
        ("the kids are asleep", True),  # no possessive: read
        ("a picnic with your friends and our kids", True),  # "our" among the two words
        ("tell your friends about my mom", True),
        ("Sarah's mom made dinner", False),  # the possessive of a name
        ("Seymour’s nephew in Baghdad", False),
        ("Not worthy of @heidi_g’s niece", False),  # the possessive of an account
        ("Somebody's mom needs this", False),
        ("my sister's kids", True),  # the possessive of a family word
        ("my friend Sarah's kids", False),
        ("our buddy @terry_b's daughter", False),  # right after the possessive
        ("mom's birthday today", True),  # the possessive of a family word
        ("Happy Mother’s Day mom", True),
        ("it's mom's day", True),  # "it's": no possessive
        ("He's a great dad", True),
        ("Sarah's photos of my kids", True),  # not right after the possessive
    ],
)
def test_family_words_of_someone_else_are_not_the_posters_family(text, family):
    # the shipped setting
    reads = InterestLexicon.from_config(TABLES, not_the_posters=NOT_THE_POSTERS)
    index = reads.categories.index("family")
    assert bool(reads.weights([text])[0, index] > 0) == family
    # without it every family word is read
    assert InterestLexicon.from_config(TABLES).weights([text])[0, index] > 0


def test_other_categories_are_read_whoever_they_belong_to():
    reads = InterestLexicon.from_config(TABLES, not_the_posters=NOT_THE_POSTERS)
    plain = InterestLexicon.from_config(TABLES)
    for text in ("love her dress", "your dog is cute", "their new album"):
        assert np.array_equal(reads.weights([text]), plain.weights([text]))
    # a word in family and another category keeps the other one
    both = {**{c: [] for c in REQUIRED_CATEGORIES}, "family": ["wedding"], "fashion": ["wedding"]}
    mixed = InterestLexicon.from_config(both, not_the_posters=NOT_THE_POSTERS)
    (match,) = mixed.matches("her wedding")
    assert [mixed.categories[i] for i in match.categories] == ["fashion"]
    assert match.source == "word"


def test_not_the_posters_must_name_lexicon_categories():
    with pytest.raises(ValueError, match="hobbies"):
        InterestLexicon.from_config(
            TABLES, not_the_posters={**NOT_THE_POSTERS, "categories": ["hobbies"]}
        )


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("My dog's birthday", "dog"),
        ("My dog’s birthday", "dog"),
        ("Shot on 35mm film", "35mm"),
        ("New PS5 today!", "ps5"),
        ("F1 weekend", "f1"),
    ],
)
def test_possessives_and_terms_with_digits_are_read(text, term):
    tables = {
        **{c: [] for c in REQUIRED_CATEGORIES},
        "pets": ["dog", "puppy"],
        "photography": ["35mm"],
        "gaming": ["ps5"],
        "sports": ["f1"],
    }
    lexicon = InterestLexicon.from_config(tables)
    found = [m.term for m in lexicon.matches(text)]
    assert found == [term]
    parts = [caption_parts(text)]
    assert np.array_equal(lexicon.weights_of(parts), lexicon.weights([text]))


PHRASES = {
    **{c: [] for c in REQUIRED_CATEGORIES},
    "film_tv": ["box office", "read-thru", "table read", "episode"],
    "business": ["office"],
    "music": ["hip hop", "music"],
    "family": ["baby shower", "baby"],
    "food": ["ice cream"],
}


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Number one at the box office!", ["box office"]),  # not "office" as well
        ("Box-Office numbers", ["box office"]),
        ("💥 Read-thru with the cast 💥", ["read thru"]),  # written as the lexicon has it
        ("read thru at noon", ["read thru"]),
        ("two table reads this week", ["table read"]),  # the last word plural
        ("back at the office, then hip hop", ["office", "hip hop"]),
        ("a table for two, read the menu", []),  # the words apart are no phrase
        ("the box of the office", ["office"]),
        ("#hiphopmusic", ["hip hop", "music"]),  # a split hashtag's words
        ("#boxofficehit", ["box office"]),
    ],
)
def test_a_phrase_is_read_as_one_term_in_place_of_its_words(text, terms):
    lexicon = InterestLexicon.from_config(PHRASES)
    assert sorted(m.term for m in lexicon.matches(text)) == sorted(terms)
    parts = [caption_parts(text)]
    assert np.array_equal(lexicon.weights_of(parts), lexicon.weights([text]))


def test_a_phrase_weighs_at_least_as_its_words():
    lexicon = InterestLexicon.from_config(PHRASES)
    for phrase in ("box office", "table read", "hip hop", "ice cream"):
        for word in phrase.split():
            assert lexicon.term_weights[phrase] >= interest_lexicon.term_specificity(
                word, lexicon.generic_zipf, lexicon.max_weight
            )


def test_a_phrase_goes_with_whoever_its_first_word_belongs_to():
    reads = InterestLexicon.from_config(PHRASES, not_the_posters=NOT_THE_POSTERS)
    family = reads.categories.index("family")
    assert reads.weights(["their baby shower"])[0, family] == 0
    assert reads.weights(["my baby shower"])[0, family] > 0
    ((match,),) = [reads.matches("our baby shower")]
    assert match.term == "baby shower"


def test_the_shipped_phrases_say_what_their_words_do_not(lexicon):
    assert share(lexicon, "Opening weekend at the box office", "film_tv") == 1.0
    assert share(lexicon, "Read-thru with tonight's host", "film_tv") == 1.0
    assert share(lexicon, "grabbing ice cream", "food") == 1.0
    assert share(lexicon, "a short film shot in a week", "film_tv") > 0.5  # not photography's
    assert lexicon.term_weights["hip hop"] > 0


def test_digits_next_to_a_term_make_another_word():
    tables = {**{c: [] for c in REQUIRED_CATEGORIES}, "sports": ["f1"], "gaming": ["ps5"]}
    lexicon = InterestLexicon.from_config(tables)
    assert lexicon.matches("route f150 and ps55 and xf1") == []


# Everyday captions whose words are lexicon terms in English only: Italian "ai" (to the,
# tech), French "encore" (again, music), Dutch "rug" (back, home).
FALSE_FRIENDS = {
    "ai": ("tech", "Grazie di cuore ai miei amici, ai vecchi tempi", 0.0),
    "encore": ("music", "Encore une belle surprise ce matin, encore merci", 0.0),
    "rug": ("home", "Met pijn in mijn rug maar wel gelukkig vandaag", 1.14),
}


@pytest.mark.parametrize("term", sorted(FALSE_FRIENDS))
def test_a_word_of_another_language_weighs_by_its_frequency_there(lexicon, term):
    category, caption, expected = FALSE_FRIENDS[term]
    index = lexicon.categories.index(category)
    weights = lexicon.weights([caption])[0]
    assert lexicon.term_weights[term] >= 2 * expected  # what it weighs in English
    assert weights[index] == pytest.approx(expected, abs=0.01)
    parts = [caption_parts(caption)]
    assert (lexicon.weights_of(parts, lexicon.languages_of(parts)) == weights).all()
    assert lexicon.match_counts(caption).tolist() == weights.tolist()
    found = sum(m.weight for m in lexicon.matches(caption) if index in m.categories)
    assert found == pytest.approx(expected, abs=0.01)


def test_english_and_undetermined_captions_weigh_by_english_alone(lexicon):
    english = "Our new AI model is out, come to the encore tonight"
    weights = lexicon.weights([english, "Encore!"])
    assert weights[0, lexicon.categories.index("tech")] > 1.5
    assert weights[0, lexicon.categories.index("music")] > 2.5
    assert weights[1, lexicon.categories.index("music")] > 2.5  # too short to tell: English
    assert lexicon.languages_of([caption_parts(english), caption_parts("Encore!")]) == [
        "en",
        "und",
    ]


def test_a_specific_word_of_another_language_still_counts(lexicon):
    # "viaje" is a lexicon term; in Spanish it is an ordinary word (trip), so it weighs less
    caption = "Preparando la maleta para el próximo viaje a Lisboa con mis amigas"
    travel = lexicon.categories.index("travel")
    weight = lexicon.weights([caption])[0, travel]
    assert 0 < weight < interest_lexicon.term_specificity("viaje", 6.0, 3.0)


def test_hashtags_in_chinese_japanese_and_thai_are_split_into_words():
    assert split_hashtag("東京カフェ") == ("東京", "カフェ")
    assert split_hashtag("TokyoCafeラーメン") == ("tokyo", "cafe", "ラーメン")
    assert set(split_hashtag("ラーメン好きな人と繋がりたい")) >= {"ラーメン", "好き"}
    assert split_hashtag("เที่ยวทะเล") == ("เที่ยว", "ทะเล")


def test_hashtags_in_other_scripts_are_their_words_as_written():
    # No word counts split them; they were no word at all, for the lexicon and the classifier.
    assert split_hashtag("путешествие") == ("путешествие",)
    assert split_hashtag("맛스타그램") == ("맛스타그램",)
    assert split_hashtag("اكل_بيتي") == ("اكل", "بيتي")
    assert split_hashtag("सफरनामा") == ("सफरनामा",)
    assert split_hashtag("travelпутешествие") == ("travel",)  # Latin letters' split only
    lexicon = InterestLexicon.from_config({**{c: [] for c in REQUIRED_CATEGORIES}, "food": ["اكل"]})
    assert share(lexicon, "فطور اليوم #اكل_بيتي", "food") == 1.0


JAPANESE_FOOD = {**{c: [] for c in REQUIRED_CATEGORIES}, "food": ["ラーメン", "火锅", "อร่อย"]}


@pytest.mark.parametrize(
    "caption",
    [
        "今日は友達と渋谷でラーメンを食べました",
        "新宿の人気店で味噌ラーメン #東京ラーメン",
        "週末は家でのんびり #ラーメン好きな人と繋がりたい",
        "今天和朋友去吃火锅，太好吃了！",
        "ก๋วยเตี๋ยวเรือร้านนี้อร่อยมาก #ร้านอร่อย",
    ],
)
def test_terms_in_chinese_japanese_and_thai_match_the_words_of_a_caption(caption):
    # Before, a caption's word was its whole sentence, and a hashtag no term was no word.
    lexicon = InterestLexicon.from_config(JAPANESE_FOOD)
    assert share(lexicon, caption, "food") == 1.0


def _zipf(word: str, language: str) -> float:
    """The Zipf frequency of one word in wordfreq's small list, looked up whole."""
    return np.log10(get_frequency_dict(language, wordlist="small")[word]) + 9


def test_a_japanese_chinese_or_korean_word_weighs_by_its_frequency_there():
    # wordfreq splits these languages with MeCab and jieba, which are not installed: each
    # word counted as English before, where "料理" (cooking, everyday Japanese) is unknown.
    lexicon = InterestLexicon.from_config(
        {**{c: [] for c in REQUIRED_CATEGORIES}, "food": ["料理", "ラーメン", "火锅"]}
    )
    assert lexicon.term_weights["料理"] == 3.0  # no English word: the most specific
    japanese = "今日の晩ごはんは手作りの料理でした"
    assert lexicon.languages_of([caption_parts(japanese)]) == ["ja"]
    food = lexicon.categories.index("food")
    cooking = 6.0 - _zipf("料理", "ja")
    assert 0 < cooking < 1.5
    assert lexicon.weights([japanese])[0, food] == pytest.approx(cooking, abs=0.01)
    specificity = interest_lexicon.term_specificity
    for word, language in [("ラーメン", "ja"), ("火锅", "zh"), ("떡볶이", "ko")]:
        expected = 6.0 - _zipf(word, language)
        assert specificity(word, 6.0, 3.0, language) == pytest.approx(expected, abs=0.01)
        assert specificity(word, 6.0, 3.0, language) < specificity(word, 6.0, 3.0)
