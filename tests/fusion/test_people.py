"""A person's interests from posts and profile, their persona vector and their evidence."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from insta_kedro.fusion.people import (
    blend_interests,
    category_key,
    collect_interest_evidence,
    interest_evidence,
    person_slices,
    profile_interests,
)
from insta_kedro.text import REQUIRED_CATEGORIES, InterestLexicon

LEXICON = InterestLexicon.from_config(
    {**{c: [] for c in REQUIRED_CATEGORIES}, "music": ["album", "🎤"], "sports": ["skateboard"]}
)
CATEGORIES = LEXICON.categories
CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def test_profile_categories_map_loosely_to_interests():
    profiles = pd.DataFrame(
        {
            "profile": ["band", "skater", "nobody"],
            "category": ["MUSICIAN_BAND", "Athlete", "Creators & Celebrities"],
            "biography": ["new album out", "", None],
        }
    )
    mapping = {"Musician/Band": "music", "Athlete": "sports"}
    onehot, biography, mapped = profile_interests(profiles, LEXICON, mapping)
    assert category_key("Musician/Band") == category_key("MUSICIAN_BAND") == "musician band"
    assert mapped.to_dict() == {"band": "music", "skater": "sports", "nobody": None}
    assert onehot.loc["skater", "sports"] == 1.0 and onehot.loc["nobody"].sum() == 0
    assert biography.loc["band", "music"] == 1.0
    with pytest.raises(ValueError, match="unknown interest categories"):
        profile_interests(profiles, LEXICON, {"Athlete": "skating"})


def test_the_shipped_mapping_reads_instagrams_own_category_names():
    mapping = yaml.safe_load((CONF / "interests" / "profile_categories.yml").read_text())
    said = {  # as instaloader's profile JSON gives them: names or enums
        "team": ("AMATEUR_SPORTS_TEAM", "sports"),
        "camera": ("Camera/Photo", "photography"),
        "player": ("Gamer", "gaming"),
        "dancer": ("Dancer", "art"),
        "shop": ("Women’s Clothing Store", "fashion"),
        "vet": ("VETERINARIAN", "pets"),
        "figure": ("Public Figure", None),  # says nothing of interests
        "artist": ("Artist", None),  # painters and musicians alike
    }
    profiles = pd.DataFrame(
        {"profile": list(said), "category": [c for c, _ in said.values()], "biography": ""}
    )
    _, _, mapped = profile_interests(profiles, LEXICON, mapping)
    assert mapped.to_dict() == {profile: interest for profile, (_, interest) in said.items()}


def test_the_profile_category_takes_its_share_and_nothing_is_other():
    music, sports, other = (CATEGORIES.index(c) for c in ("music", "sports", "other"))
    posts = np.zeros((2, len(CATEGORIES)))
    posts[0, music] = 1.0
    category = np.zeros_like(posts)
    category[0, sports] = 1.0
    blended = blend_interests(posts, category, np.zeros_like(posts), 0.3, 0.1, CATEGORIES)
    assert blended[0, music] == pytest.approx(0.7) and blended[0, sports] == pytest.approx(0.3)
    assert blended[1, other] == 1.0 and blended[1].sum() == 1.0


def test_evidence_names_terms_hashtags_and_the_profile_category():
    posts = pd.DataFrame(
        {
            "post_id": ["a", "b", "c"],
            "profile": ["skater", "skater", "skater"],
            "caption": [
                "new skateboard #skateboardlife thanks @skateboardshop",
                "album 🎤",
                "just a day",
            ],
        }
    )
    labels = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    evidence = interest_evidence(posts, LEXICON, labels, {}, {"skater": ("Athlete", "sports")})
    sports = evidence["skater"]["sports"]
    assert set(sports["terms"]) == {"skateboard"} and sports["posts"] == 1
    assert set(sports["hashtags"]) == {"#skateboardlife"}
    assert sports["mentions"] == {
        "@skateboardshop": pytest.approx(sports["hashtags"]["#skateboardlife"] / 2, abs=1e-3)
    }
    assert sports["profile_category"] == "Athlete"
    assert set(evidence["skater"]["music"]["terms"]) == {"album", "🎤"}
    assert evidence["skater"]["music"]["profile_category"] is None


def test_evidence_shows_a_caption_opening_as_a_term():
    tables = {**{c: [] for c in REQUIRED_CATEGORIES}, "comedy": ["^when you"]}
    lexicon = InterestLexicon.from_config(tables, opening_weight=2.0)
    posts = pd.DataFrame(
        {
            "post_id": ["a", "b", "c"],
            "profile": ["page"] * 3,
            "caption": ["When you wake up at 3am", "when you miss the bus", "just a day"],
        }
    )
    labels = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    comedy = interest_evidence(posts, lexicon, labels, {}, {})["page"]["comedy"]
    assert comedy["terms"] == {"when you …": 4.0} and comedy["posts"] == 2


def test_evidence_sums_the_photo_labels_of_each_interest():
    posts = pd.DataFrame({"post_id": ["a", "b"], "profile": ["p", "p"], "caption": ["", ""]})
    labels = pd.DataFrame(
        {
            "post_id": ["a", "a", "b"],
            "rank": [1, 2, 1],
            "label": ["electric_guitar", "stage", "electric_guitar"],
            "probability": [0.6, 0.3, 0.5],
        }
    )
    table = {"music": {"names": ["electric_guitar", "stage"]}}
    evidence = interest_evidence(posts, LEXICON, labels, table, {})
    assert evidence["p"]["music"]["labels"] == {"electric_guitar": 1.1, "stage": 0.3}
    assert evidence["p"]["music"]["terms"] == {}
    assert evidence["p"]["music"]["posts"] == 2  # a photo label is evidence of its post too
    assert "sports" not in evidence["p"]


def test_collected_evidence_takes_each_profiles_category_from_the_profiles():
    posts = pd.DataFrame(
        {
            "post_id": ["a", "b", "c"],
            "profile": ["skater", "skater", "fan"],
            "caption": ["new skateboard", "skateboard again", "album 🎤 album"],
        }
    )
    profiles = pd.DataFrame(
        {"profile": ["skater", "fan", "skater"], "category": ["Athlete", "Fan page", "Athlete"]}
    )
    labels = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    evidence = collect_interest_evidence(
        posts, profiles, labels, LEXICON, {}, {"Athlete": "sports"}, top_n=1
    )
    assert evidence["skater"]["sports"]["profile_category"] == "Athlete"
    assert evidence["skater"]["sports"]["posts"] == 2
    assert evidence["fan"]["music"]["profile_category"] is None
    assert len(evidence["fan"]["music"]["terms"]) == 1  # top_n
    without_category = collect_interest_evidence(
        posts, profiles.drop(columns="category"), labels, LEXICON, {}, {"Athlete": "sports"}
    )
    assert without_category["skater"]["sports"]["profile_category"] is None


def test_person_slices_give_each_persons_rows_in_table_order():
    profiles = pd.Series(["bob", "ann", None, "bob", "ann", "cy"], index=[10, 11, 12, 13, 14, 15])
    people = person_slices(profiles)
    assert people.names.tolist() == ["ann", "bob", "cy"]
    rows = {name: people.order[part].tolist() for name, part in people.slices()}
    # positions, not index labels; the row without a profile is left out
    assert rows == {"ann": [1, 4], "bob": [0, 3], "cy": [5]}
    assert len(person_slices(pd.Series([], dtype=object)).names) == 0
