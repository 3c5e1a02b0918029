"""Caption batches for training and validation: tf.data, near-equal sizes, each batch cut to
its longest caption.

Padding is masked (the LSTM skips it, the loss never counts it), so cutting a batch's
all-padding tail changes neither its loss nor its gradients; it only saves LSTM steps.
"""

import numpy as np
import tensorflow as tf

from insta_kedro.tf_data_tuning import without_autotune_model


def trimmed_length(lengths, multiple: int, max_len: int):
    """Time steps a batch needs: its longest caption rounded up to ``multiple``, ≤ ``max_len``.

    Padding is masked (the LSTM skips it, the loss never counts it), so cutting a batch's
    all-padding tail leaves its loss and gradients unchanged and only saves LSTM steps.
    Works on numpy arrays and on tensors (inside tf.data).
    """
    multiple = max(int(multiple), 1)
    longest = tf.maximum(tf.reduce_max(tf.convert_to_tensor(lengths, tf.int32)), 1)
    return tf.minimum(max_len, (longest + multiple - 1) // multiple * multiple)


def balanced_batch_size(n: int, batch_size: int) -> int:
    """Batch size that cuts ``n`` captions into ``ceil(n / batch_size)`` near-equal batches.

    97 captions at batch 64 make batches of 49 and 48 instead of 64 and 33 (and 130 at 64
    make 44, 44, 42 instead of 64, 64, 2): no small remainder batch paying for a whole
    ``max_len`` LSTM pass, and every update sees about the same number of captions.
    """
    if n <= 0:
        return max(batch_size, 1)
    return -(-n // -(-n // batch_size))


def epoch_batch_size(n: int, batch_size: int, shuffled: bool) -> int:
    """Captions per batch of :func:`caption_batches`: balanced when shuffled (training)."""
    return balanced_batch_size(n, batch_size) if shuffled else max(batch_size, 1)


def batches_per_epoch(n: int, batch_size: int, shuffled: bool) -> int:
    """Batches in one pass over ``n`` captions, as :func:`caption_batches` cuts them."""
    return -(-n // epoch_batch_size(n, batch_size, shuffled))


def caption_batches(
    images,
    inputs,
    targets,
    batch_size: int,
    shuffle_seed: int | None,
    length_multiple: int = 8,
    repeat: bool = False,
):
    """tf.data batches ``({"image", "tokens"}, targets)``, each cut to its longest caption.

    Seeded (training): reshuffled every epoch, at most ``batch_size`` captions per batch
    in near-equal batches (:func:`balanced_batch_size`). Unseeded (validation): in order,
    batches of ``batch_size``. Each batch's time axis is cut to its longest caption rounded
    up to ``length_multiple`` (:func:`trimmed_length`): the same loss, fewer LSTM steps when
    a batch holds only short captions. (Grouping captions by length so that more batches are
    short was measured: faster epochs, but a clearly worse validation BPC after 30 epochs,
    since short-caption batches get as many updates as long ones. See docs/caption_model.md.)
    ``repeat``: pass after pass without end (reshuffled each pass), for ``fit`` with
    ``steps_per_epoch=batches_per_epoch(...)``: one iterator serves every epoch, so no epoch
    waits for a new one to start (about 10 ms, at times over 100 ms here, per epoch).
    """
    max_len = int(np.shape(inputs)[1])
    data = tf.data.Dataset.from_tensor_slices(({"image": images, "tokens": inputs}, targets))
    shuffled = shuffle_seed is not None
    if shuffled:
        data = data.shuffle(len(inputs), seed=shuffle_seed, reshuffle_each_iteration=True)

    def trim(x, y):
        steps = trimmed_length(
            tf.reduce_sum(tf.cast(y != 0, tf.int32), axis=1), length_multiple, max_len
        )
        return {"image": x["image"], "tokens": x["tokens"][:, :steps]}, y[:, :steps]

    data = data.batch(epoch_batch_size(len(inputs), batch_size, shuffled)).map(trim)
    if repeat:
        data = data.repeat()
    return without_autotune_model(data.prefetch(tf.data.AUTOTUNE))
