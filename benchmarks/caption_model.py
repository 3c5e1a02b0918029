"""Benchmark of the caption model: training throughput and decoding speed.

    .venv/bin/python benchmarks/caption_model.py [--epochs 7] [--images 32] [--batch-size N]
        [--packed auto|true|false] [--fused-lstm auto|true|false]

1. Training characters/s: the pipeline's tf.data + ``fit`` at the default batch size (one
   ``fit`` over all epochs, on packed rows without a GPU: as the pipeline trains) against a
   plain loop (``train_on_batch`` on numpy batches of 10, padded to ``max_len``), same
   network, epochs interleaved. Packed rows run the LSTM as the fused op
   (``insta_kedro.captioning.fused_lstm.op``) where it builds, as the pipeline does.
2. The fused op against Keras's own LSTM on the same packed rows, one ``fit`` epoch of each
   in turn (where the op builds): what the op adds at the default settings.
3. Decoding characters/s for 150-character captions of 32 images: the step model (one LSTM
   step per character, batched) against re-running the whole prefix for every character;
   and beam search (width 3) against greedy; greedy and beam search blocking repeated
   character n-grams (``no_repeat_ngram_size`` of the parameters) against both without.
   Medians of 3 interleaved repeats.
On a GPU (when TensorFlow sees one) the same numbers are measured there: the device line
says where they ran. Captions come from ../shared/data/instagram-dl when present (synthetic
text otherwise); image features are random 4096-d vectors.
"""

import argparse
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

from insta_kedro.captioning import (
    STOP_ID,
    CaptionModelParams,
    batches_per_epoch,
    beam_decode,
    build_step_model,
    build_vocabulary,
    caption_batches,
    encode_captions,
    greedy_decode,
    new_caption_model,
    training_network,
    uses_fused_lstm,
)
from insta_kedro.ingestion import parse_download_folder

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / ".." / "shared" / "data" / "instagram-dl"


def captions() -> tuple[list[str], str]:
    """The real download's captions, read as the ingestion pipeline reads them, or 130
    synthetic ones without it; and where they come from, in words."""
    if REAL_DATA.is_dir():
        posts = parse_download_folder(REAL_DATA).posts
        texts = [c.strip() for c in posts.loc[posts["has_caption"], "caption"]]
        if texts:
            return texts, f"the real captions of {REAL_DATA.resolve()}"
    rng = np.random.default_rng(0)
    words = ["love", "sunday", "#blessed", "@therock", "gym", "❤️", "family", "time"]
    texts = [" ".join(rng.choice(words, size=rng.integers(3, 30))) for _ in range(130)]
    return texts, f"synthetic captions (no captions in {REAL_DATA.resolve()})"


class _InterleavedEpochs(keras.callbacks.Callback):
    """Times each epoch of ``fit`` and runs one epoch of ``other_epoch`` after it."""

    def __init__(self, other_epoch):
        super().__init__()
        self.other_epoch = other_epoch
        self.seconds, self.other_seconds = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)
        started = time.perf_counter()
        self.other_epoch()
        self.other_seconds.append(time.perf_counter() - started)


def train_throughput(params, vocab, images, inputs, targets, epochs: int):
    """Median characters/s per epoch of both loops, their epochs interleaved, and how the
    pipeline's way ran its LSTM: ``padded``, ``packed`` or ``packed, fused`` (one fused op).

    The pipeline's way is timed as the pipeline trains: one ``fit`` over all epochs on the
    repeated tf.data batches. The CPU is shared: timing one loop after the other lets a load
    change on the machine decide the ratio, so after each epoch of ``fit`` a callback runs
    (and times) one epoch of the plain loop, and the medians are compared.
    """
    chars = int((targets != 0).sum())
    batch_size = params["batch_size"]

    plain_model = new_caption_model(vocab, images.shape[1], params)
    for _ in range(2):  # build and trace outside the timing
        plain_model.train_on_batch({"image": images[:10], "tokens": inputs[:10]}, targets[:10])
    rng = np.random.default_rng(0)

    def plain_epoch():
        order = rng.permutation(len(inputs))
        for i in range(0, len(order), 10):
            b = order[i : i + 10]
            plain_model.train_on_batch({"image": images[b], "tokens": inputs[b]}, targets[b])

    model = new_caption_model(vocab, images.shape[1], params)
    network = training_network(model, params)
    packed = network is not model
    rows = ("packed, fused" if uses_fused_lstm(network) else "packed") if packed else "padded"
    data = caption_batches(
        images, inputs, targets, batch_size, shuffle_seed=0, repeat=True, packed=packed
    )
    steps = batches_per_epoch(len(inputs), batch_size, shuffled=True)
    # shuffle=False: the tf.data pipeline shuffles (Keras warns that it ignores the flag)
    network.fit(data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)  # build, trace
    timer = _InterleavedEpochs(plain_epoch)
    network.fit(
        data, epochs=epochs, steps_per_epoch=steps, shuffle=False, verbose=0, callbacks=[timer]
    )
    pipeline = chars / float(np.median(timer.seconds))
    return pipeline, chars / float(np.median(timer.other_seconds)), rows


def fused_vs_keras_lstm(params, vocab, images, inputs, targets, epochs: int):
    """Median characters/s of packed training with the fused op and with Keras's LSTM, one
    ``fit`` epoch of each in turn on the same batches; None when the op cannot run here."""
    chars = int((targets != 0).sum())
    batch_size = params["batch_size"]
    steps = batches_per_epoch(len(inputs), batch_size, shuffled=True)
    data = caption_batches(
        images, inputs, targets, batch_size, shuffle_seed=0, repeat=True, packed=True
    )
    networks = {}
    for fused in (True, False):
        settings = {**params, "packed_training": True, "fused_lstm": fused}
        try:
            network = training_network(
                new_caption_model(vocab, images.shape[1], settings), settings
            )
        except (RuntimeError, ValueError, OSError) as error:  # the op did not build
            print(f"  fused LSTM unavailable: {error}")
            return None
        if uses_fused_lstm(network) != fused:
            return None
        network.fit(data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)  # trace
        networks[fused] = network
    seconds = {True: [], False: []}
    for _ in range(epochs):
        for fused, network in networks.items():
            started = time.perf_counter()
            network.fit(data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
            seconds[fused].append(time.perf_counter() - started)
    return chars / float(np.median(seconds[True])), chars / float(np.median(seconds[False]))


def decode_speed(model, images: np.ndarray, length: int, no_repeat: int, repeats: int = 3):
    """Median characters/s of the decoders, their repeats interleaved (as in training): greedy
    over the step model (``step``), over the whole prefix (``prefix``), beam search of width 3
    (``beam``), and greedy and beam search blocking repeated character ``no_repeat``-grams
    (``step_blocked``, ``beam_blocked``); and whether both greedy decoders wrote the same."""
    # Never stop early: every caption is `length` characters long in both decoders.
    probs = model.get_layer("char_probs")
    kernel, bias = probs.get_weights()
    bias[STOP_ID] = -1e4
    probs.set_weights([kernel, bias])
    n = len(images)
    step_model = build_step_model(model)
    full = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    image_tensor = tf.constant(images)

    def step_greedy():
        return np.array([c.tokens for c in greedy_decode(step_model, images, length)])

    def whole_prefix():
        tokens = np.ones((n, 1), np.int32)
        for _ in range(length):
            probs_all = np.asarray(full({"image": image_tensor, "tokens": tf.constant(tokens)}))
            last = probs_all[:, -1].astype(np.float64)
            last[:, (0, 1, 3)] = 0.0
            next_tokens = last.argmax(axis=1)[:, None].astype(np.int32)
            tokens = np.concatenate([tokens, next_tokens], axis=1)
        return tokens[:, 1:]

    def beam():
        return beam_decode(step_model, images, length, width=3)

    def step_blocked():
        return greedy_decode(step_model, images, length, no_repeat)

    def beam_blocked():
        return beam_decode(step_model, images, length, width=3, no_repeat_ngram_size=no_repeat)

    decoders = {
        "step": step_greedy,
        "prefix": whole_prefix,
        "beam": beam,
        "step_blocked": step_blocked,
        "beam_blocked": beam_blocked,
    }
    greedy_decode(step_model, images, 3)  # trace
    beam_decode(step_model, images, 3, width=3)
    for t in (1, 2, 3):  # let the trace generalise over the prefix length
        full({"image": image_tensor, "tokens": tf.ones((n, t), tf.int32)})
    seconds = {name: [] for name in decoders}
    for _ in range(repeats):
        for name, decode in decoders.items():
            start = time.perf_counter()
            result = decode()
            seconds[name].append(time.perf_counter() - start)
            if name == "step":
                greedy_tokens = result
                assert greedy_tokens.shape == (n, length)
            elif name == "prefix":
                same = np.array_equal(result, greedy_tokens)
    rates = {name: n * length / float(np.median(s)) for name, s in seconds.items()}
    return rates, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=None, help="default: parameters")
    for flag in ("--packed", "--fused-lstm"):
        parser.add_argument(
            flag, choices=("auto", "true", "false"), default=None, help="default: parameters"
        )
    args = parser.parse_args()

    params = yaml.safe_load((ROOT / "conf/base/parameters_caption_model.yml").read_text())
    params = params["caption_model"]
    params["batch_size"] = args.batch_size or params["batch_size"]
    for name, setting in (("packed_training", args.packed), ("fused_lstm", args.fused_lstm)):
        if setting:
            params[name] = {"true": True, "false": False}.get(setting, setting)
    # checked as Kedro checks them, then the dict the domain functions take
    params = CaptionModelParams.model_validate(params).model_dump()
    texts, source = captions()
    vocab = build_vocabulary(texts, params["min_char_count"], params["max_len"])
    inputs, targets = encode_captions(vocab, texts)
    images = np.random.default_rng(0).random((len(texts), 4096), dtype=np.float32)
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(f"device: {device}; {len(texts)} captions, {int((targets != 0).sum())} characters/epoch")
    print(f"captions: {source}")
    print(f"network: {params['architecture']}, LSTM {params['lstm_units']}, vocab {vocab.size}")

    pipeline, plain, rows = train_throughput(params, vocab, images, inputs, targets, args.epochs)
    print("\ntraining (characters/s)")
    pipeline_label = f"tf.data + fit, batch {params['batch_size']}, {rows}"
    print(f"  {pipeline_label:<38} {pipeline:10.0f}")
    print(f"  plain loop, train_on_batch, batch 10   {plain:10.0f}")
    print(f"  speed-up                               {pipeline / plain:10.1f}x")

    if device == "CPU":
        lstm = fused_vs_keras_lstm(params, vocab, images, inputs, targets, args.epochs)
        if lstm is not None:
            fused, keras_lstm = lstm
            print("\npacked training, the LSTM (characters/s)")
            print(f"  fused op                               {fused:10.0f}")
            print(f"  Keras's LSTM                           {keras_lstm:10.0f}")
            print(f"  speed-up                               {fused / keras_lstm:10.1f}x")

    model = new_caption_model(vocab, 4096, params)
    no_repeat = params["no_repeat_ngram_size"]
    rates, same = decode_speed(model, images[: args.images], params["max_len"], no_repeat)
    step, prefix, beam = rates["step"], rates["prefix"], rates["beam"]
    print(f"\ndecoding {args.images} images x {params['max_len']} characters (characters/s)")
    print(f"  step model, greedy                     {step:10.0f}")
    print(f"  whole prefix again per character       {prefix:10.0f}")
    print(f"  speed-up                               {step / prefix:10.1f}x  (same text: {same})")
    print(f"  step model, beam width 3               {beam:10.0f}  ({beam / step:.2f}x greedy)")
    blocked = f"no repeated {no_repeat}-gram"
    print(
        f"  greedy, {blocked:<30} {rates['step_blocked']:10.0f}"
        f"  ({rates['step_blocked'] / step:.2f}x greedy)"
    )
    print(
        f"  beam width 3, {blocked:<24} {rates['beam_blocked']:10.0f}"
        f"  ({rates['beam_blocked'] / beam:.2f}x beam)"
    )


if __name__ == "__main__":
    main()
