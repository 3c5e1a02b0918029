"""VGG16 as Simonyan & Zisserman (2014) built it, in Keras, with Keras's layer names.

``vgg16_network`` takes its weights from an open weights file, from prepared (mapped) weights,
or draws seeded random ones; it never draws values that a loaded file then overwrites.
"""

from insta_kedro.vision.encoder_weights import (
    Keras2Hdf5Weights,
    aligned_empty,
    glorot_uniform_initializer,
    loaded_initializer,
    zeros_initializer,
)
from insta_kedro.vision.prepared_weights import MappedWeights, PreparedWeightsWriter

IMAGE_SIZE = 224  # the network's input: IMAGE_SIZE × IMAGE_SIZE × 3
# (filters, convolutions) of VGG16's five blocks.
VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def vgg16_network(
    include_top: bool = True,
    seed: int | None = None,
    dtype: str = "float32",
    weights: Keras2Hdf5Weights | MappedWeights | None = None,
    include_classifier: bool = True,
    writer: PreparedWeightsWriter | None = None,
):
    """VGG16 (Simonyan & Zisserman, 2014), its weights and computation in ``dtype``: the
    layers of ``weights`` (an open file, or prepared weights), else seeded Glorot-uniform
    ones, else zeros (``seed=None``) for ``load_weights`` to overwrite.

    ``include_top``: fc1 and fc2 after the convolutions; ``include_classifier``: then the
    1000 ImageNet logits too (the network's output), else fc2 is the output. ``writer``: the
    drawn or read weights go into its files (saved as they are made).

    The layers carry Keras's names and order, so Keras's VGG16 weights files (ImageNet's
    included) load into it. ``keras.applications.VGG16`` would first draw random values for
    all 138M weights (1-2 s here) that the loaded file then overwrites.
    ``predictions`` gives logits (no softmax), like ``classifier_activation=None``.

    Random weights are rounded to bfloat16 whatever ``dtype`` is, so the float32 and the
    bfloat16 network of one seed hold the same weights and differ only in the arithmetic.
    """
    import keras
    from keras import layers

    def initializers(name: str, index: int) -> dict:
        allocate = writer.allocator(name) if writer is not None else aligned_empty
        if weights is not None:
            kernel, bias = weights.layer(name, allocate)
            return {
                "kernel_initializer": loaded_initializer(kernel, f"{name}'s kernel in the file"),
                "bias_initializer": loaded_initializer(bias, f"{name}'s bias in the file"),
            }
        if seed is None:
            return {"kernel_initializer": "zeros"}
        # One seed per layer: the same seed would repeat its values in every same-shaped layer.
        return {
            "kernel_initializer": glorot_uniform_initializer(seed * 100 + index, allocate),
            "bias_initializer": zeros_initializer(allocate),
        }

    images = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="input_layer")
    x = images
    index = 0
    for block, (filters, convolutions) in enumerate(VGG16_BLOCKS, start=1):
        for convolution in range(1, convolutions + 1):
            index += 1
            name = f"block{block}_conv{convolution}"
            x = layers.Conv2D(
                filters,
                3,
                padding="same",
                activation="relu",
                dtype=dtype,
                name=name,
                **initializers(name, index),
            )(x)
        x = layers.MaxPooling2D(2, strides=2, dtype=dtype, name=f"block{block}_pool")(x)
    if not include_top:
        return keras.Model(images, x, name="vgg16")
    x = layers.Flatten(dtype=dtype, name="flatten")(x)
    for units, name in ((4096, "fc1"), (4096, "fc2")):
        index += 1
        x = layers.Dense(
            units, activation="relu", dtype=dtype, name=name, **initializers(name, index)
        )(x)
    if not include_classifier:
        return keras.Model(images, x, name="vgg16")
    logits = layers.Dense(
        1000, dtype=dtype, name="predictions", **initializers("predictions", index + 1)
    )(x)
    return keras.Model(images, logits, name="vgg16")
