"""The training gate: why the caption model does not train on too little data, and what stands
for the model, its history and its metrics then; no Keras imported on that path."""

import sys

import mlflow
import pytest

from insta_kedro.captioning.examples import prepare_examples
from insta_kedro.captioning.training_gate import (
    MIN_TRAINING_CAPTIONS_PARAM,
    NotTrained,
    not_trained_history,
    not_trained_metrics,
    not_trained_reason,
    train_if_enough_data,
)
from insta_kedro.captioning.vocabulary import build_vocabulary
from tests.captioning.conftest import TINY_PARAMS


def report(usable: int, train: int, **more) -> dict:
    """A caption_data_report with ``usable`` captioned posts with a feature, ``train`` in train."""
    return {
        "n_posts": 50,
        "n_captioned": 45,
        "n_with_image_feature": usable + 3,
        "n_captioned_with_image_feature": usable,
        "split_sizes": {"train": train, "val": 1, "test": 1, "uncaptioned": 3},
        "skipped": {},
        "image_feature_errors": {},
        **more,
    }


@pytest.fixture
def without_keras(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras, TensorFlow and the training module cannot be imported: importing one fails."""
    for name in ("keras", "tensorflow", "insta_kedro.captioning.training"):
        monkeypatch.setitem(sys.modules, name, None)


def test_enough_captioned_photos_with_a_training_caption_train():
    assert not_trained_reason(report(20, 14), 20) is None
    assert not_trained_reason(report(500, 400), 20) is None


def test_too_few_captioned_photos_say_how_many_and_the_threshold():
    reason = not_trained_reason(report(19, 13), 20)
    assert reason == (
        "19 captioned post(s) with a usable image feature, fewer than "
        f"{MIN_TRAINING_CAPTIONS_PARAM}=20 "
        "(50 posts; 45 with a caption; 22 with a usable image feature)"
    )
    assert MIN_TRAINING_CAPTIONS_PARAM == "caption_model.min_training_captions"


def test_a_download_without_photos_names_the_posts_left_out_most_frequent_first():
    without_photos = report(
        0,
        0,
        n_with_image_feature=0,
        skipped={"no_image_feature": 30, "image_feature_error": 20, "feature_dim_mismatch": 0},
        image_feature_errors={"cannot decode image": 15, "file not found": 5, "other": 0},
    )
    reason = not_trained_reason(without_photos, 20)
    assert reason.startswith("0 captioned post(s) with a usable image feature, fewer than")
    assert reason.endswith(
        "(50 posts; 45 with a caption; 0 with a usable image feature; "
        "left out: no_image_feature: 30, image_feature_error: 20; "
        "image feature errors: cannot decode image: 15, file not found: 5)"
    )
    assert "feature_dim_mismatch" not in reason and "other" not in reason  # zero counts


def test_image_features_of_other_posts_name_the_run_that_makes_them_agree():
    # posts read again from another download; image_features still of the earlier one
    stale = report(0, 0, skipped={"no_image_feature": 40, "feature_without_post": 384})
    reason = not_trained_reason(stale, 20)
    assert reason.endswith(
        "The image features are of other posts (the posts changed after they were made): "
        "run `kedro run --pipelines=image_features,caption_model`"
    )
    # a download without photos has no feature of other posts: no such advice
    assert "other posts" not in not_trained_reason(
        report(0, 0, skipped={"no_image_feature": 40}), 20
    )


def test_enough_photos_but_no_training_caption_says_the_split_left_none():
    reason = not_trained_reason(report(25, 0), 20)
    assert reason.startswith(
        "the split leaves no training caption "
        "(split {'train': 0, 'val': 1, 'test': 1, 'uncaptioned': 3})"
    )
    assert "fewer than" not in reason


def test_a_report_without_a_split_says_no_training_caption_was_left():
    without_split = {k: v for k, v in report(25, 0).items() if k != "split_sizes"}
    assert not_trained_reason(without_split, 20).startswith(
        "the split leaves no training caption (split {})"
    )


def test_an_empty_report_does_not_train_and_counts_zero():
    assert not_trained_reason({}, 1) == (
        "0 captioned post(s) with a usable image feature, fewer than "
        f"{MIN_TRAINING_CAPTIONS_PARAM}=1 "
        "(0 posts; 0 with a caption; 0 with a usable image feature)"
    )


def test_the_history_of_a_run_that_did_not_train_has_no_epoch():
    assert not_trained_history("no photo") == {
        "trained": False,
        "not_trained_reason": "no photo",
        "epochs": {"loss": [], "val_loss": [], "val_bpc": []},
        "epochs_run": 0,
    }


def test_the_metrics_of_a_run_that_did_not_train_carry_the_reason_and_the_data():
    data = report(3, 2)
    metrics = not_trained_metrics("too few", data, min_training_captions=20, architecture="inject")
    assert metrics == {
        "trained": False,
        "not_trained_reason": "too few",
        "min_training_captions": 20,
        "data": data,
        "architecture": "inject",
    }


def test_too_little_data_gives_a_not_trained_model_without_importing_keras(
    posts, image_features, without_keras
):
    features = image_features.assign(feature=None, error="cannot decode image")
    examples, data_report = prepare_examples(
        posts, features, val_fraction=0.15, test_fraction=0.2, seed=1
    )
    vocab = build_vocabulary(posts["caption"], 1, 40)
    model, history = train_if_enough_data(examples, vocab, data_report, TINY_PARAMS)
    reason = not_trained_reason(data_report, TINY_PARAMS["min_training_captions"])
    assert reason.startswith("0 captioned post(s) with a usable image feature")
    assert "image feature errors: cannot decode image: 40" in reason
    assert model == NotTrained(reason)
    assert history == not_trained_history(reason)


def test_a_run_that_does_not_train_is_tagged_in_mlflow_with_the_data_counts(
    tmp_path, monkeypatch, without_keras
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    data_report = report(5, 3, n_examples=8, feature_dim=24)
    vocab = build_vocabulary(["ab"], 1, 8)
    with mlflow.start_run() as run:
        model, _ = train_if_enough_data(None, vocab, data_report, TINY_PARAMS)
    recorded = mlflow.get_run(run.info.run_id).data
    assert recorded.tags["caption_model.trained"] == "False"
    assert recorded.tags["caption_model.not_trained_reason"] == model.reason
    assert model.reason.startswith("5 captioned post(s)")
    # the report's counts as data.*, and nothing else of it
    assert recorded.metrics == {
        "data.n_posts": 50.0,
        "data.n_captioned": 45.0,
        "data.n_with_image_feature": 8.0,
        "data.n_captioned_with_image_feature": 5.0,
    }
