"""Which VGG16 encoders the image features behind a table, report or plot came from, and
what a reader must be told about them.

The tables made from image features carry the encoder name (``vgg16-<layer>-<weights>``,
:func:`weights_of`) in an ``image_encoder`` column: one name per post, or
several joined by commas (a person's posts, a caption model's generated captions). The reports
built from them say which encoders and weights they rest on (:func:`encoder_fields`,
:func:`encoder_report`), and warn when the weights were random or encoders were mixed
(:func:`encoder_warning`): results of random weights are never mistaken for ImageNet ones.
"""

from collections.abc import Iterable, Sequence
from typing import Any

SEPARATOR = ","


def weights_of(encoder: str) -> str:
    """The weights part of an encoder name (``vgg16-<layer>-<weights>``): ``imagenet``,
    ``file`` or ``random``; ``other`` for a name of another form."""
    weights = encoder.rsplit("-", 1)[-1]
    return weights if weights in ("imagenet", "file", "random") else "other"


def encoder_names(*columns: Iterable[Any] | None) -> list[str]:
    """The distinct encoder names in ``columns``, sorted.

    Takes ``image_encoder`` columns (a column may be None: a table without one): each value
    one encoder name, several joined by commas, or null (no image feature). Returns ``[]``
    when there is none.
    """
    names = {
        name.strip()
        for values in columns
        if values is not None
        for value in values
        if isinstance(value, str)
        for name in value.split(SEPARATOR)
        if name.strip()
    }
    return sorted(names)


def joined_encoders(*columns: Iterable[Any] | None) -> str | None:
    """The :func:`encoder_names` of ``columns`` joined by commas, None without any."""
    return SEPARATOR.join(encoder_names(*columns)) or None


def encoder_fields(*columns: Iterable[Any] | None) -> dict[str, Any]:
    """``{"image_encoders": [names], "image_encoder_weights": "imagenet,random"}``: the
    :func:`encoder_names` of ``columns`` and their weights (``imagenet``, ``file``, ``random``
    or ``other``), sorted and joined by commas (``""`` without an encoder)."""
    names = encoder_names(*columns)
    return {
        "image_encoders": names,
        "image_encoder_weights": SEPARATOR.join(sorted({weights_of(n) for n in names})),
    }


def encoder_warning(encoders: Sequence[str], short: bool = False) -> str | None:
    """What a reader of results made from image features of ``encoders`` must know: that
    some had random VGG16 weights (no ImageNet meaning), and that several encoders are mixed
    (features of an older run left in); None when neither. ``short``: one line for a
    plot's title, else sentences for a report."""
    random = [e for e in encoders if weights_of(e) == "random"]
    mixed = len(set(encoders)) > 1
    if short:
        parts = []
        if random:
            parts.append(f"RANDOM VGG16 weights ({', '.join(random)}): not ImageNet features")
        if mixed:
            parts.append(f"mixed encoders ({', '.join(encoders)})")
        return "; ".join(parts) or None
    sentences = []
    if random:
        sentences.append(
            f"Made from image features of RANDOM VGG16 weights ({', '.join(random)}): they "
            "carry no ImageNet meaning. Place the ImageNet weights (docs/image_features.md) "
            "and run `kedro run` again for real results."
        )
    if mixed:
        sentences.append(
            f"Image features of several encoders are mixed ({', '.join(encoders)}): results "
            "of an older run are left in; run `kedro run` again to build all on one."
        )
    return " ".join(sentences) or None


def encoder_report(*columns: Iterable[Any] | None) -> dict[str, Any]:
    """A report's fields on the image features it rests on: :func:`encoder_fields` of
    ``columns`` and ``image_encoder_warning`` (:func:`encoder_warning`, None when there is
    nothing to warn of)."""
    fields = encoder_fields(*columns)
    return {**fields, "image_encoder_warning": encoder_warning(fields["image_encoders"])}


def encoder_tags(encoders: Sequence[str]) -> dict[str, str]:
    """The MLflow tags that say which encoders image features come from:
    ``image_features.encoder`` (e.g. ``vgg16-fc2-random``) and
    ``image_features.encoder_weights`` (``imagenet``, ``file`` or ``random``): the
    :func:`encoder_fields` of ``encoders``, joined by commas; empty without an encoder."""
    fields = encoder_fields(encoders)
    if not fields["image_encoders"]:
        return {}
    return {
        "image_features.encoder": SEPARATOR.join(fields["image_encoders"]),
        "image_features.encoder_weights": fields["image_encoder_weights"],
    }


def tag_active_run(encoders: Sequence[str]) -> None:
    """Tag the active MLflow run, if any, with :func:`encoder_tags` of ``encoders`` (the
    encoder names the run's image features come from). The run's parameter
    ``image_features.weights`` says what was asked for, these tags what was used."""
    import mlflow  # imported where a run may be active, not where workers encode

    tags = encoder_tags(encoders)
    if tags and mlflow.active_run() is not None:
        mlflow.set_tags(tags)
