"""Benchmark of the caption model: training throughput and decoding speed.

    .venv/bin/python benchmarks/caption_model.py [--epochs 7] [--images 32]

1. Training characters/s: the pipeline's tf.data + ``fit`` at the default batch size against
   a loop faithful to the brief (``train_on_batch`` on numpy batches of 10), same network.
2. Decoding characters/s for 150-character captions of 32 images: the step model (one LSTM
   step per character, batched) against re-running the whole prefix for every character;
   and beam search (width 3) against greedy.
On a GPU (when TensorFlow sees one) the same numbers are measured there: the device line
says where they ran. Captions come from ../shared/data/instagram-dl when present (synthetic
text otherwise); image features are random 4096-d vectors.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
import yaml

from insta_kedro.caption_decoding import beam_decode, greedy_decode
from insta_kedro.caption_network import build_step_model
from insta_kedro.caption_vocabulary import STOP_ID, build_vocabulary, encode_captions
from insta_kedro.pipelines.caption_model.nodes import caption_batches, new_caption_model

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / ".." / "shared" / "data" / "instagram-dl"


def captions() -> list[str]:
    texts = [p.read_text(encoding="utf-8").strip() for p in sorted(REAL_DATA.glob("*/*.txt"))]
    texts = [t for t in texts if t]
    if texts:
        return texts
    rng = np.random.default_rng(0)
    words = ["love", "sunday", "#blessed", "@therock", "gym", "❤️", "family", "time"]
    return [" ".join(rng.choice(words, size=rng.integers(3, 30))) for _ in range(130)]


def train_throughput(params, vocab, images, inputs, targets, epochs: int):
    """Median characters/s per epoch of both loops, their epochs interleaved.

    The CPU is shared: timing one loop after the other lets a load change on the machine
    decide the ratio. Here each epoch of the pipeline is followed by one epoch of the brief's
    loop, and the medians are compared.
    """
    chars = int((targets != 0).sum())

    model = new_caption_model(vocab, images.shape[1], params)
    data = caption_batches(images, inputs, targets, params["batch_size"], shuffle_seed=0)
    model.fit(data, epochs=1, verbose=0)  # build and trace outside the timing

    brief_model = new_caption_model(vocab, images.shape[1], params)
    for _ in range(2):  # build and trace outside the timing
        brief_model.train_on_batch({"image": images[:10], "tokens": inputs[:10]}, targets[:10])
    rng = np.random.default_rng(0)

    pipeline, brief = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        pipeline.append(chars / (time.perf_counter() - start))

        start = time.perf_counter()
        order = rng.permutation(len(inputs))
        for i in range(0, len(order), 10):
            b = order[i : i + 10]
            brief_model.train_on_batch({"image": images[b], "tokens": inputs[b]}, targets[b])
        brief.append(chars / (time.perf_counter() - start))
    return float(np.median(pipeline)), float(np.median(brief))


def decode_speed(model, images: np.ndarray, length: int):
    # Never stop early: every caption is `length` characters long in both decoders.
    probs = model.get_layer("char_probs")
    kernel, bias = probs.get_weights()
    bias[STOP_ID] = -1e4
    probs.set_weights([kernel, bias])
    n = len(images)

    step_model = build_step_model(model)
    greedy_decode(step_model, images, 3)  # trace
    start = time.perf_counter()
    greedy = greedy_decode(step_model, images, length)
    step_seconds = time.perf_counter() - start
    assert all(len(c.tokens) == length for c in greedy)

    full = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    image_tensor = tf.constant(images)
    for t in (1, 2, 3):  # let the trace generalise over the prefix length
        full({"image": image_tensor, "tokens": tf.ones((n, t), tf.int32)})
    start = time.perf_counter()
    tokens = np.ones((n, 1), np.int32)
    for _ in range(length):
        probs_all = np.asarray(full({"image": image_tensor, "tokens": tf.constant(tokens)}))
        last = probs_all[:, -1].astype(np.float64)
        last[:, (0, 1, 3)] = 0.0
        tokens = np.concatenate([tokens, last.argmax(axis=1)[:, None].astype(np.int32)], axis=1)
    prefix_seconds = time.perf_counter() - start
    same = np.array_equal(tokens[:, 1:], np.array([c.tokens for c in greedy]))

    beam_decode(step_model, images, 3, width=3)
    start = time.perf_counter()
    beam_decode(step_model, images, length, width=3)
    beam_seconds = time.perf_counter() - start
    chars = n * length
    return chars / step_seconds, chars / prefix_seconds, chars / beam_seconds, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7)
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=None, help="default: parameters")
    args = parser.parse_args()

    params = yaml.safe_load((ROOT / "conf/base/parameters_caption_model.yml").read_text())
    params = params["caption_model"]
    params["batch_size"] = args.batch_size or params["batch_size"]
    texts = captions()
    vocab = build_vocabulary(texts, params["min_char_count"], params["max_len"])
    inputs, targets = encode_captions(vocab, texts)
    images = np.random.default_rng(0).random((len(texts), 4096), dtype=np.float32)
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(f"device: {device}; {len(texts)} captions, {int((targets != 0).sum())} characters/epoch")
    print(f"network: {params['architecture']}, LSTM {params['lstm_units']}, vocab {vocab.size}")

    pipeline, brief = train_throughput(params, vocab, images, inputs, targets, args.epochs)
    print("\ntraining (characters/s)")
    print(f"  tf.data + fit, batch {params['batch_size']:<3}      {pipeline:10.0f}")
    print(f"  brief's loop, train_on_batch, batch 10 {brief:10.0f}")
    print(f"  speed-up                               {pipeline / brief:10.1f}x")

    model = new_caption_model(vocab, 4096, params)
    step, prefix, beam, same = decode_speed(model, images[: args.images], params["max_len"])
    print(f"\ndecoding {args.images} images x {params['max_len']} characters (characters/s)")
    print(f"  step model, greedy                     {step:10.0f}")
    print(f"  whole prefix again per character       {prefix:10.0f}")
    print(f"  speed-up                               {step / prefix:10.1f}x  (same text: {same})")
    print(f"  step model, beam width 3               {beam:10.0f}  ({beam / step:.2f}x greedy)")


if __name__ == "__main__":
    main()
