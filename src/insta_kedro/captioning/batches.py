"""Caption batches for training and validation: tf.data, near-equal sizes, each batch cut to
its longest caption, or packed.

Padding is masked (the LSTM skips it, the loss never counts it), so cutting a batch's
all-padding tail changes neither its loss nor its gradients; it only saves LSTM steps.
Packing (:func:`pack_captions`) goes further: the batch's captions are laid end to end in as
few rows as hold them, for ``caption_network.build_packed_training_network``. The batch is
the same set of captions with the same loss, in about half the row-steps of padded rows.
"""

import numpy as np
import tensorflow as tf

from insta_kedro.vision import without_autotune_model


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


def pack_captions(inputs: np.ndarray, targets: np.ndarray, row_length: int):
    """A batch's captions end to end in as few rows of ``row_length`` steps as hold them.

    First fit, longest caption first: each caption goes to the first row with room for it
    (a caption longer than ``row_length`` is not split: make ``row_length`` at least the
    longest). Returns ``tokens`` and ``targets`` ``(rows, row_length)`` int32 (0 after a row's
    last caption), ``starts`` float32 (1 at each caption's first position) and ``owner`` int32
    (the row of ``inputs`` each position's caption comes from; 0 on padding, which no loss or
    later position reads).
    """
    lengths = (np.asarray(targets) != 0).sum(axis=1)
    if lengths.max(initial=0) > row_length:
        raise ValueError(f"a caption of {lengths.max()} tokens does not fit rows of {row_length}")
    free: list[int] = []  # room left in each row
    placed: list[tuple[int, int, int, int]] = []  # (caption, length, row, position)
    for caption in np.argsort(-lengths, kind="stable"):
        length = int(lengths[caption])
        row = next((r for r, room in enumerate(free) if room >= length), len(free))
        if row == len(free):
            free.append(row_length)
        placed.append((int(caption), length, row, row_length - free[row]))
        free[row] -= length
    shape = (max(len(free), 1), row_length)
    packed_tokens, packed_targets = np.zeros(shape, np.int32), np.zeros(shape, np.int32)
    starts, owner = np.zeros(shape, np.float32), np.zeros(shape, np.int32)
    for caption, length, row, position in placed:
        span = slice(position, position + length)
        packed_tokens[row, span] = inputs[caption, :length]
        packed_targets[row, span] = targets[caption, :length]
        starts[row, position] = 1.0
        owner[row, span] = caption
    return packed_tokens, packed_targets, starts, owner


def caption_batches(
    images,
    inputs,
    targets,
    batch_size: int,
    shuffle_seed: int | None,
    length_multiple: int = 8,
    repeat: bool = False,
    packed: bool = False,
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
    waits for a new one to start.
    ``packed``: the same batches of captions, each packed (:func:`pack_captions`) into rows
    as long as its trimmed length: ``({"image", "tokens", "starts", "owner"}, targets)``.
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

    def pack(x, y):
        x, y = trim(x, y)
        tokens, packed_targets, starts, owner = tf.numpy_function(
            lambda t, y, n: pack_captions(t, y, int(n)),
            [x["tokens"], y, tf.shape(y)[1]],
            [tf.int32, tf.int32, tf.float32, tf.int32],
            stateful=False,
        )
        rows = {"tokens": tokens, "starts": starts, "owner": owner}
        for tensor in (*rows.values(), packed_targets):
            tensor.set_shape((None, None))
        return {"image": x["image"], **rows}, packed_targets

    data = data.batch(epoch_batch_size(len(inputs), batch_size, shuffled))
    data = data.map(pack if packed else trim)
    if repeat:
        data = data.repeat()
    return without_autotune_model(data.prefetch(tf.data.AUTOTUNE))
