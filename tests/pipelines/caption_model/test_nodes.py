import json
import math

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
from keras import layers

from insta_kedro.captioning import UNK_ID, CaptionVocabulary, NotTrained, TrainingCheckpoint
from insta_kedro.pipelines.caption_model.nodes import (
    _ResumableEarlyStopping,
    _shuffled_bpc,
    assign_splits,
    build_caption_vocab,
    encoder_weights,
    evaluate_caption_model,
    fit_caption_model,
    generate_captions,
    plot_loss_curve,
    prepare_caption_examples,
    shuffled_order,
    train_caption_model,
)

IMAGE_FEATURES_PARAMS = {"weights": None, "layer": "fc2"}


def test_split_is_seeded_deterministic_and_by_post():
    ids = [f"p{i}" for i in range(100)]
    split = assign_splits(ids, 0.1, 0.2, seed=3)
    assert split == assign_splits(list(reversed(ids)), 0.1, 0.2, seed=3)
    assert split != assign_splits(ids, 0.1, 0.2, seed=4)
    counts = pd.Series(split).value_counts()
    assert (counts["test"], counts["val"], counts["train"]) == (20, 10, 70)
    assert assign_splits(ids[:3], 0.1, 0.1, seed=0).values() != {"train"}


def test_prepare_counts_every_post_left_out(posts, image_features, tiny_params):
    features = image_features.copy()
    features.loc[1, ["feature", "error"]] = [None, "unreadable image"]
    features.at[2, "feature"] = np.zeros(5, np.float32)
    features = pd.concat([features.drop(index=3), features.iloc[[4]]], ignore_index=True)
    examples, report = prepare_caption_examples(posts, features, tiny_params, IMAGE_FEATURES_PARAMS)
    assert report["skipped"] == {
        "duplicate_feature_row": 1,
        "no_image_feature": 1,
        "image_feature_error": 1,
        "feature_dim_mismatch": 1,
        "feature_without_post": 0,
    }
    assert len(examples) == len(posts) - 3
    assert examples.loc[examples["post_id"] == "P000", "split"].item() == "uncaptioned"
    assert sum(report["split_sizes"].values()) == len(examples)
    assert report["encoder_weights"] == "random"
    assert report["data_fingerprint"]["n_posts"] == str(len(examples))


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


def test_vocabulary_never_sees_test_captions(posts, image_features, tiny_params):
    posts = posts.copy()
    examples, _ = prepare_caption_examples(
        posts, image_features, tiny_params, IMAGE_FEATURES_PARAMS
    )
    test_ids = examples.loc[examples["split"] == "test", "post_id"]
    posts.loc[posts["post_id"].isin(test_ids), "caption"] = "zzzzzzzzzzzz"
    examples, _ = prepare_caption_examples(
        posts, image_features, tiny_params, IMAGE_FEATURES_PARAMS
    )
    vocab = CaptionVocabulary.from_dict(build_caption_vocab(examples, tiny_params))
    assert "z" not in vocab.chars and vocab.char_id("z") == UNK_ID


def _network_reading_the_character_off_the_image(vocab_size: int) -> keras.Model:
    """Every step's distribution comes from the image alone: a one-hot image gives its
    character probability 1 - 5e-5 whatever the tokens read."""
    image = keras.Input((vocab_size,), name="image")
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    steps = layers.Embedding(vocab_size, vocab_size, embeddings_initializer="zeros")(tokens)
    per_step = layers.Reshape((1, vocab_size))(layers.Rescaling(10.0)(image))
    probs = layers.Softmax()(layers.Add()([steps, per_step]))
    return keras.Model({"image": image, "tokens": tokens}, probs)


def test_shuffled_images_bpc_never_scores_a_caption_with_its_own_image():
    vocab_size, characters = 8, [3, 4, 5]
    model = _network_reading_the_character_off_the_image(vocab_size)
    images = np.eye(vocab_size, dtype=np.float32)[characters]
    targets = np.repeat(np.array(characters, np.int32)[:, None], 4, axis=1)
    inputs = np.ones_like(targets)
    wrong = 1 / (math.exp(10) + vocab_size - 1)  # the probability of another image's character
    for seed in range(5):
        bpc = _shuffled_bpc(model, images, inputs, targets, repeats=4, seed=seed)
        assert bpc == pytest.approx(-math.log2(wrong), rel=1e-4)


def test_shuffled_order_moves_every_item():
    rng = np.random.default_rng(0)
    for n in range(2, 9):
        for _ in range(20):
            order = shuffled_order(n, rng)
            assert sorted(order) == list(range(n)) and (order != np.arange(n)).all()


def test_encoder_weights():
    assert encoder_weights("vgg16-fc2-imagenet") == "imagenet"
    assert encoder_weights("vgg16-pool-random") == "random"
    assert encoder_weights("clip") == "other"


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


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


class _EpochsSeen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_training_resumes_from_the_last_epoch(
    posts, image_features, tiny_params, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    params = {**tiny_params, "epochs": 4, "early_stopping_patience": 10}
    examples, _ = prepare_caption_examples(posts, image_features, params, IMAGE_FEATURES_PARAMS)
    vocab = CaptionVocabulary.from_dict(build_caption_vocab(examples, params))
    with pytest.raises(KeyboardInterrupt):
        fit_caption_model(examples, vocab, params, extra_callbacks=(_Interrupt(),))
    seen = _EpochsSeen()
    with mlflow.start_run() as run:
        _, history = fit_caption_model(examples, vocab, params, extra_callbacks=(seen,))
    assert seen.epochs == [2, 3]
    assert history["resumed_at_epoch"] == 2 and history["epochs_run"] == 4
    assert len(history["epochs"]["loss"]) == 4
    # the resumed run's MLflow history has every epoch, and says it resumed
    client = mlflow.MlflowClient()
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "val_bpc")]
    assert sorted(steps) == [1, 2, 3, 4]
    assert client.get_run(run.info.run_id).data.tags["caption_model.resumed_at_epoch"] == "2"
    # another configuration never resumes from that checkpoint
    with pytest.raises(KeyboardInterrupt):
        fit_caption_model(examples, vocab, params, extra_callbacks=(_Interrupt(),))
    seen = _EpochsSeen()
    fit_caption_model(examples, vocab, {**params, "learning_rate": 0.02}, (seen,))
    assert seen.epochs == [0, 1, 2, 3]


def test_a_resumed_training_ends_where_an_uninterrupted_one_does(
    posts, image_features, tiny_params
):
    # dropout and several shuffled batches per epoch: the resumed epochs must draw the same
    # batches and the same dropout masks as the uninterrupted ones
    params = {**tiny_params, "epochs": 4, "early_stopping_patience": 10, "dropout": 0.3}
    examples, _ = prepare_caption_examples(posts, image_features, params, IMAGE_FEATURES_PARAMS)
    vocab = CaptionVocabulary.from_dict(build_caption_vocab(examples, params))
    whole, whole_history = fit_caption_model(examples, vocab, params)
    with pytest.raises(KeyboardInterrupt):
        fit_caption_model(examples, vocab, params, extra_callbacks=(_Interrupt(),))
    resumed, history = fit_caption_model(examples, vocab, params)
    assert history["resumed_at_epoch"] == 2
    assert history["epochs"]["loss"] == pytest.approx(whole_history["epochs"]["loss"], rel=1e-5)
    for got, want in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_packed_and_padded_training_end_with_the_same_weights(
    posts, image_features, tiny_params, fused_lstm_op_builds
):
    # the same batches, loss and gradients; only the LSTM's work on padding differs
    params = {**tiny_params, "epochs": 3, "early_stopping_patience": 10}
    examples, _ = prepare_caption_examples(posts, image_features, params, IMAGE_FEATURES_PARAMS)
    vocab = CaptionVocabulary.from_dict(build_caption_vocab(examples, params))
    packed, packed_history = fit_caption_model(examples, vocab, {**params, "packed_training": True})
    padded, padded_history = fit_caption_model(
        examples, vocab, {**params, "packed_training": False}
    )
    assert packed_history["packed"] and not padded_history["packed"]
    assert packed_history["fused_lstm"] == fused_lstm_op_builds
    assert not padded_history["fused_lstm"]
    for key in ("loss", "val_loss"):
        assert packed_history["epochs"][key] == pytest.approx(
            padded_history["epochs"][key], rel=1e-4
        )
    for got, want in zip(packed.get_weights(), padded.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5)


def test_resumed_early_stopping_keeps_the_best_weights_of_the_whole_training(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    best = [np.full_like(w, 1.0) for w in model.get_weights()]
    latest = [np.full_like(w, 2.0) for w in model.get_weights()]
    writer = TrainingCheckpoint(tmp_path / "training.npz", "val_loss")
    writer.set_model(model)
    for epoch, (weights, val_loss) in enumerate([(latest, 1.0), (best, 0.5), (latest, 0.7)]):
        model.set_weights(weights)
        writer.on_epoch_end(epoch, {"val_loss": val_loss})

    model = keras.models.clone_model(model)
    model.compile(optimizer="adam", loss="mse")
    checkpoint = TrainingCheckpoint(tmp_path / "training.npz", "val_loss")
    assert checkpoint.restore(model) == 3
    stopping = _ResumableEarlyStopping(checkpoint, monitor="val_loss", patience=2)
    stopping.set_model(model)
    stopping.on_train_begin()
    assert (stopping.best, stopping.best_epoch, stopping.wait) == (0.5, 1, 1)
    np.testing.assert_array_equal(model.get_weights()[0], latest[0])  # training goes on there
    stopping.on_epoch_end(3, {"val_loss": 0.9})
    assert model.stop_training  # patience 2 counted across the resume
    stopping.on_train_end()
    np.testing.assert_array_equal(model.get_weights()[0], best[0])
