"""The caption_model nodes, one after another as the pipeline runs them: a bad setting stops
the run first, too little data trains nothing and says why, enough data trains, generates
and evaluates."""

import json

import mlflow
import numpy as np
import pytest

from insta_kedro.captioning import NotTrained
from insta_kedro.pipelines.caption_model.nodes import (
    build_caption_vocab,
    evaluate_caption_model,
    generate_captions,
    plot_loss_curve,
    prepare_caption_examples,
    train_caption_model,
)

IMAGE_FEATURES_PARAMS = {"weights": None, "layer": "fc2"}


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("decoder", "foo", "caption_model.decoder must be one of"),
        ("temperature", 0, "caption_model.temperature must be > 0"),
        ("top_p", 1.5, "caption_model.top_p must be in"),
        ("beam_width", 0, "caption_model.beam_width must be an integer >= 1"),
        ("batch_size", 0, "caption_model.batch_size must be an integer >= 1"),
        ("architecture", "lstm", "caption_model.architecture must be one of"),
        ("packed_training", "yes", "caption_model.packed_training must be one of"),
        ("fused_lstm", "yes", "caption_model.fused_lstm must be one of"),
    ],
)
def test_a_bad_setting_stops_before_training(
    posts, image_features, tiny_params, setting, value, message
):
    with pytest.raises(ValueError, match=message):
        prepare_caption_examples(
            posts, image_features, {**tiny_params, setting: value}, IMAGE_FEATURES_PARAMS
        )


def _not_trained_run(posts, features, params):
    """Every node of the pipeline, in order, on data too poor to train on."""
    examples, report = prepare_caption_examples(posts, features, params, IMAGE_FEATURES_PARAMS)
    vocab = build_caption_vocab(examples, params)
    model, history = train_caption_model(examples, vocab, report, params)
    generated = generate_captions(model, examples, vocab, params)
    metrics, samples = evaluate_caption_model(
        model, examples, vocab, generated, report, history, params
    )
    return report, model, history, generated, metrics, samples


def test_without_a_usable_image_it_does_not_train_and_says_why(posts, image_features, tiny_params):
    features = image_features.assign(feature=None, error="cannot decode image")
    report, model, history, generated, metrics, samples = _not_trained_run(
        posts, features, tiny_params
    )
    captioned = int(posts["has_caption"].sum())
    assert report["n_posts"] == len(posts) and report["n_captioned"] == captioned
    assert report["n_with_image_feature"] == report["n_captioned_with_image_feature"] == 0
    assert report["image_feature_errors"] == {"cannot decode image": len(posts)}

    assert isinstance(model, NotTrained) and model.reason == history["not_trained_reason"]
    assert history["trained"] is False and history["epochs_run"] == 0
    assert metrics["trained"] is False and metrics["min_training_captions"] == 20
    reason = metrics["not_trained_reason"]
    assert reason == model.reason
    assert "0 captioned post(s) with a usable image feature" in reason
    assert "caption_model.min_training_captions=20" in reason
    assert f"{len(posts)} posts; {captioned} with a caption; 0 with a usable" in reason
    assert f"image_feature_error: {len(posts)}" in reason
    assert f"cannot decode image: {len(posts)}" in reason
    assert metrics["data"] == report
    json.dumps(metrics)  # the caption_metrics dataset is JSON

    assert generated.empty
    assert list(generated.columns) == ["post_id", "generated_caption", "mean_log_prob", "decoder"]
    assert samples.empty and "generated_caption" in samples.columns
    figure = plot_loss_curve(history)
    assert "not trained" in figure.axes[0].texts[0].get_text()


def test_too_few_captioned_photos_do_not_train(posts, image_features, tiny_params):
    # 39 captioned posts with an image: one short of a threshold of 40
    params = {**tiny_params, "min_training_captions": 40}
    report, model, _, generated, metrics, _ = _not_trained_run(posts, image_features, params)
    assert report["n_captioned_with_image_feature"] == 39
    assert isinstance(model, NotTrained) and generated.empty
    assert metrics["not_trained_reason"].startswith(
        "39 captioned post(s) with a usable image feature, fewer than "
        "caption_model.min_training_captions=40"
    )


def test_the_not_trained_run_is_recorded_in_mlflow(
    posts, image_features, tiny_params, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    with mlflow.start_run() as run:
        _not_trained_run(posts, image_features, {**tiny_params, "min_training_captions": 40})
    recorded = mlflow.MlflowClient().get_run(run.info.run_id)
    assert recorded.data.tags["caption_model.trained"] == "False"
    assert recorded.data.tags["caption_model.not_trained_reason"].startswith("39 captioned")
    assert recorded.data.metrics["data.n_captioned_with_image_feature"] == 39
    assert recorded.data.metrics["data.n_posts"] == len(posts)
    assert "test.bpc" not in recorded.data.metrics


def test_min_training_captions_must_be_a_positive_integer(posts, image_features, tiny_params):
    with pytest.raises(ValueError, match="caption_model.min_training_captions must be an integer"):
        prepare_caption_examples(
            posts,
            image_features,
            {**tiny_params, "min_training_captions": 0},
            IMAGE_FEATURES_PARAMS,
        )


@pytest.fixture
def trained(posts, image_features, tiny_params):
    examples, report = prepare_caption_examples(
        posts, image_features, tiny_params, IMAGE_FEATURES_PARAMS
    )
    vocab = build_caption_vocab(examples, tiny_params)
    model, history = train_caption_model(examples, vocab, report, tiny_params)
    return examples, report, vocab, model, history


def test_training_generation_and_evaluation(trained, tiny_params):
    examples, report, vocab, model, history = trained
    assert history["epochs_run"] == 2 and len(history["epochs"]["val_bpc"]) == 2
    assert history["epochs"]["val_bpc"][0] == pytest.approx(
        history["epochs"]["val_loss"][0] / np.log(2)
    )
    plot_loss_curve(history).savefig(tiny_params["checkpoint_dir"] + ".png")

    generated = generate_captions(model, examples, vocab, tiny_params)
    assert list(generated.columns) == ["post_id", "generated_caption", "mean_log_prob", "decoder"]
    assert generated["post_id"].tolist() == examples["post_id"].tolist()
    assert generated["generated_caption"].str.len().max() <= tiny_params["max_len"]
    assert not generated["generated_caption"].str.contains("\ufffd").any()  # no UNK

    metrics, samples = evaluate_caption_model(
        model, examples, vocab, generated, report, history, tiny_params
    )
    json.dumps(metrics)  # the caption_metrics dataset is JSON
    test = metrics["test"]
    assert test["n_posts"] == report["split_sizes"]["test"]
    assert test["perplexity"] == pytest.approx(2 ** test["bpc"])
    ngram_bpc = metrics["baselines"]["char_5gram_witten_bell_bpc"]
    assert 0 < ngram_bpc < np.log2(len(vocab["chars"]) + 2)
    assert metrics["image_gain_bpc"] == pytest.approx(
        metrics["baselines"]["shuffled_images_bpc"] - test["bpc"]
    )
    assert {"real_word_rate", "hashtag_rate", "distinct_1", "copy_rate", "bleu_4"} <= set(
        metrics["generation"]
    )
    assert len(samples) == min(5, test["n_posts"])


def test_evaluation_warns_when_every_generated_caption_is_empty(trained, tiny_params, caplog):
    examples, report, vocab, model, history = trained
    silent = generate_captions(model, examples, vocab, tiny_params).assign(generated_caption="")
    with caplog.at_level("WARNING"):
        evaluate_caption_model(model, examples, vocab, silent, report, history, tiny_params)
    assert "every generated caption is empty" in caplog.text
