"""The caption_model nodes, one after another as the pipeline runs them, with typed settings
(a bad one stops a run before any node: test_params.py): too little data trains nothing and
says why, enough data trains, generates and evaluates."""

import json
import subprocess
import sys
import textwrap

import mlflow
import numpy as np
import pytest

from insta_kedro import captioning
from insta_kedro.captioning import CaptionModelParams, NotTrained
from insta_kedro.pipelines.caption_model.nodes import (
    build_caption_vocab,
    evaluate_caption_model,
    generate_captions,
    plot_loss_curve,
    prepare_caption_examples,
    train_caption_model,
)
from tests.contracts import GENERATED_CAPTIONS_COLUMNS


def _with(params: CaptionModelParams, **changes) -> CaptionModelParams:
    """``params`` with ``changes``, validated again."""
    return CaptionModelParams.model_validate({**params.model_dump(), **changes})


def _not_trained_run(posts, features, params, image_features_params):
    """Every node of the pipeline, in order, on data too poor to train on."""
    examples, report = prepare_caption_examples(posts, features, params, image_features_params)
    vocab = build_caption_vocab(examples, params)
    model, history = train_caption_model(examples, vocab, report, params)
    generated = generate_captions(model, examples, vocab, params)
    metrics, samples = evaluate_caption_model(
        model, examples, vocab, generated, report, history, params
    )
    return report, model, history, generated, metrics, samples


def test_without_a_usable_image_it_does_not_train_and_says_why(
    posts, image_features, tiny_params, image_features_params
):
    features = image_features.assign(feature=None, error="cannot decode image")
    report, model, history, generated, metrics, samples = _not_trained_run(
        posts, features, tiny_params, image_features_params
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
    assert list(generated.columns) == GENERATED_CAPTIONS_COLUMNS
    assert samples.empty and "generated_caption" in samples.columns
    figure = plot_loss_curve(history, report)
    assert "not trained" in figure.axes[0].texts[0].get_text()
    assert figure._suptitle is None  # no usable image feature: no encoder to warn of


def test_too_few_captioned_photos_do_not_train(
    posts, image_features, tiny_params, image_features_params
):
    # 39 captioned posts with an image: one short of a threshold of 40
    params = _with(tiny_params, min_training_captions=40)
    report, model, _, generated, metrics, _ = _not_trained_run(
        posts, image_features, params, image_features_params
    )
    assert report["n_captioned_with_image_feature"] == 39
    assert isinstance(model, NotTrained) and generated.empty
    assert metrics["not_trained_reason"].startswith(
        "39 captioned post(s) with a usable image feature, fewer than "
        "caption_model.min_training_captions=40"
    )


def test_a_run_that_does_not_train_never_imports_keras_or_tensorflow(tmp_path):
    # A caption-only download runs every node without Keras and TensorFlow (seconds to
    # import, and hundreds of megabytes), in a fresh interpreter: this one has them already.
    script = textwrap.dedent(
        f"""
        import sys
        from insta_kedro.captioning import CaptionModelParams
        from insta_kedro.vision import ImageFeaturesParams
        from tests.captioning.conftest import TINY_PARAMS, synthetic_features, synthetic_posts
        from tests.pipelines.caption_model.test_nodes import _not_trained_run
        from tests.pipelines.shipped_params import typed

        posts = synthetic_posts()
        features = synthetic_features(posts).assign(feature=None, error="no image")
        settings = {{**TINY_PARAMS, "checkpoint_dir": {str(tmp_path)!r}}}
        params = typed(CaptionModelParams, **settings)
        model = _not_trained_run(posts, features, params, typed(ImageFeaturesParams))[1]
        print(type(model).__name__, sorted({{"keras", "tensorflow"}} & set(sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == "NotTrained []"


def test_the_not_trained_run_is_recorded_in_mlflow(
    posts, image_features, tiny_params, image_features_params, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    params = _with(tiny_params, min_training_captions=40)
    with mlflow.start_run() as run:
        _not_trained_run(posts, image_features, params, image_features_params)
    recorded = mlflow.MlflowClient().get_run(run.info.run_id)
    assert recorded.data.tags["caption_model.trained"] == "False"
    assert recorded.data.tags["caption_model.not_trained_reason"].startswith("39 captioned")
    assert recorded.data.metrics["data.n_captioned_with_image_feature"] == 39
    assert recorded.data.metrics["data.n_posts"] == len(posts)
    assert "test.bpc" not in recorded.data.metrics


def test_training_gets_the_settings_dict_that_keys_its_checkpoint(tiny_params, monkeypatch):
    calls = []
    monkeypatch.setattr(
        captioning, "train_if_enough_data", lambda *args: calls.append(args) or ("m", {})
    )
    vocab = captioning.build_vocabulary(["ab"], 1, 8).to_dict()
    assert train_caption_model("examples", vocab, {"n_posts": 1}, tiny_params) == ("m", {})
    ((examples, _, report, settings),) = calls
    assert (examples, report) == ("examples", {"n_posts": 1})
    assert type(settings) is dict and settings == tiny_params.model_dump()


@pytest.fixture
def trained(posts, image_features, tiny_params, image_features_params):
    examples, report = prepare_caption_examples(
        posts, image_features, tiny_params, image_features_params
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
    plot_loss_curve(history, report).savefig(tiny_params.checkpoint_dir + ".png")

    generated = generate_captions(model, examples, vocab, tiny_params)
    assert list(generated.columns) == GENERATED_CAPTIONS_COLUMNS
    assert (generated["image_encoder"] == "vgg16-fc2-random").all()
    assert generated["post_id"].tolist() == examples["post_id"].tolist()
    assert generated["generated_caption"].str.len().max() <= tiny_params.max_len
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
    real = examples.loc[examples["split"] == "test", "caption"].str.len()
    assert metrics["real_test_captions"]["ended_rate"] == pytest.approx(
        (real < tiny_params.max_len).mean()
    )
    assert metrics["real_test_captions"]["mean_length"] == pytest.approx(
        real.clip(upper=tiny_params.max_len).mean()
    )
    test_ids = examples.loc[examples["split"] == "test", "post_id"]
    on_test = generated.loc[generated["post_id"].isin(test_ids), "generated_caption"]
    ended = (on_test.str.len() < tiny_params.max_len).mean()
    assert metrics["generation"]["ended_rate"] == pytest.approx(ended)
    assert len(samples) == min(5, test["n_posts"])


def test_evaluation_warns_when_every_generated_caption_is_empty(trained, tiny_params, caplog):
    examples, report, vocab, model, history = trained
    silent = generate_captions(model, examples, vocab, tiny_params).assign(generated_caption="")
    with caplog.at_level("WARNING"):
        evaluate_caption_model(model, examples, vocab, silent, report, history, tiny_params)
    assert "every generated caption is empty" in caplog.text
