"""How insta_kedro's tf.data pipelines are tuned: ``AUTOTUNE`` values without the tuning thread.

Both pipelines (image decoding in ``image_decoding``, caption batches in ``caption_model``)
pass ``tf.data.AUTOTUNE`` and then turn tf.data's autotuning model off, so ``AUTOTUNE``
values keep the start values tf.data picks for them: a parallel ``map``, for one, runs as many
calls at once as there are cores (at most 16).

Why: with the model on, each iterator runs an optimization thread that sleeps until its next
optimization, and the periods double (the source caps them at 60 s). Destroying a finished
iterator waits for that sleep to end, so a finished pass or ``fit`` can idle for seconds
before it returns (measurements: docs/benchmarks.md).
"""

import tensorflow as tf


def without_autotune_model(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with tf.data's autotuning model off (its ``AUTOTUNE`` values fixed at
    their start values): a finished iterator is destroyed at once.

    Example:
        >>> batches = without_autotune_model(
        ...     paths.map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(1)
        ... )
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)
