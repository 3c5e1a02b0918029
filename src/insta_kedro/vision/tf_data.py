"""How insta_kedro's tf.data pipelines are tuned: ``AUTOTUNE`` values without the tuning thread.

Both pipelines (image decoding in ``image_decoding``, caption batches in ``caption_model``)
pass ``tf.data.AUTOTUNE`` and then turn tf.data's autotuning model off, so ``AUTOTUNE``
values keep the start values tf.data picks for them: a parallel ``map``, for one, runs as many
calls at once as there are cores (at most 16).

Why: with the model on, each iterator runs an optimization thread that sleeps until its next
optimization, and the periods double (the source caps them at 60 s). Destroying a finished
iterator waits for that sleep to end. Here, TensorFlow 2.21 on 2 cores:

- a pass over 64 photos, about 3 s of decoding and VGG16, ended after 5.2 s in 8 of 16
  passes: its last step waited 1.9-2.3 s for the iterator to go, using no CPU;
- ``fit`` of the caption model (10 epochs) returned 0.7-1.0 s after its last epoch had
  ended, in 6 of 8 runs, each then taking 2.56 s in all; with the model off, 1.48-1.58 s.
With the model off: no wait in 16 passes and 8 runs.
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
