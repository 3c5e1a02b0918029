"""What a table, report or plot made from image features says of their encoders."""

import pandas as pd

from insta_kedro.vision import (
    encoder_fields,
    encoder_names,
    encoder_report,
    encoder_warning,
    joined_encoders,
)

RANDOM, IMAGENET = "vgg16-fc2-random", "vgg16-fc2-imagenet"


def test_encoder_names_are_read_from_single_and_joined_values_and_nulls_are_none():
    posts = pd.Series([RANDOM, None, RANDOM, float("nan")], dtype=object)
    people = pd.Series([f"{IMAGENET},{RANDOM}", None], dtype=object)
    assert encoder_names(posts) == [RANDOM]
    assert encoder_names(posts, people) == [IMAGENET, RANDOM]
    assert encoder_names(None) == [] and encoder_names(pd.Series([], dtype=object)) == []
    assert joined_encoders(people) == f"{IMAGENET},{RANDOM}" and joined_encoders([None]) is None


def test_the_fields_name_the_encoders_and_their_weights():
    assert encoder_fields([RANDOM]) == {
        "image_encoders": [RANDOM],
        "image_encoder_weights": "random",
    }
    assert encoder_fields([IMAGENET, "vgg16-pool-file"]) == {
        "image_encoders": [IMAGENET, "vgg16-pool-file"],
        "image_encoder_weights": "file,imagenet",
    }
    assert encoder_fields(None) == {"image_encoders": [], "image_encoder_weights": ""}


def test_random_weights_and_mixed_encoders_are_warned_of_and_imagenet_is_not():
    assert encoder_warning([IMAGENET]) is None and encoder_warning([]) is None
    assert encoder_warning([IMAGENET], short=True) is None
    random = encoder_warning([RANDOM])
    assert "RANDOM VGG16 weights (vgg16-fc2-random)" in random and "mixed" not in random
    mixed = encoder_warning([IMAGENET, RANDOM])
    assert "RANDOM" in mixed and "several encoders are mixed" in mixed
    assert encoder_warning([IMAGENET, "vgg16-pool-imagenet"]).startswith("Image features of")
    assert encoder_warning([RANDOM], short=True) == (
        "RANDOM VGG16 weights (vgg16-fc2-random): not ImageNet features"
    )
    # ImageNet features of two layers are mixed, but they are ImageNet features
    assert encoder_warning([IMAGENET, "vgg16-pool-imagenet"], short=True) == (
        f"mixed encoders ({IMAGENET}, vgg16-pool-imagenet)"
    )


def test_a_report_says_which_encoders_and_warns_only_when_it_must():
    report = encoder_report([RANDOM, None], [RANDOM])
    assert report["image_encoders"] == [RANDOM] and report["image_encoder_weights"] == "random"
    assert "RANDOM VGG16 weights" in report["image_encoder_warning"]
    assert encoder_report([IMAGENET])["image_encoder_warning"] is None
    assert encoder_report(None) == {
        "image_encoders": [],
        "image_encoder_weights": "",
        "image_encoder_warning": None,
    }
