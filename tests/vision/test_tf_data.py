"""tf.data pipelines without the autotuning model: same elements, no tuning thread."""

import tensorflow as tf

from insta_kedro.vision.tf_data import without_autotune_model


def test_without_autotune_model_keeps_the_elements_and_turns_the_model_off():
    dataset = (
        tf.data.Dataset.range(10)
        .map(lambda x: x * 2, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(4)
        .prefetch(tf.data.AUTOTUNE)
    )
    assert dataset.options().autotune.enabled is not False  # on unless turned off

    untuned = without_autotune_model(dataset)

    assert untuned.options().autotune.enabled is False
    got = [batch.tolist() for batch in untuned.as_numpy_iterator()]
    assert got == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]
