"""The ``caption_model`` parameters (conf/base/parameters_caption_model.yml) as types.

:class:`CaptionModelParams` is what the caption_model pipeline's nodes take for
``params:caption_model``; Kedro validates the YAML against it before any node runs, and an
error names the bad setting (``caption_model.batch_size``). The domain functions of this
package take the same settings as plain values or dicts (``model_dump()``).
"""

from typing import Annotated, Literal

from pydantic import Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from insta_kedro.kedro_ext.parameters import (
    Count,
    Integer,
    NonNegativeCount,
    Number,
    Section,
    Seed,
    Settings,
    Share,
    Weight,
    one_error,
)

Architecture = Literal["merge", "inject"]
"""The caption network: ``merge`` (the projected image added to the LSTM's output) or
``inject`` (the projected image as the LSTM's initial state)."""

Decoder = Literal["greedy", "sample", "beam"]
"""How a caption is generated: the most probable character at every step, a draw from the
tempered top-p nucleus, or beam search."""

AutoOrBool = Annotated[
    Literal["auto"] | Annotated[bool, Strict()],
    one_error("auto_or_bool", "Input should be 'auto', true or false"),
]
"""``"auto"`` (decided for the machine) or a boolean, as YAML writes it (not ``yes`` or 1)."""

Verbosity = Annotated[
    Literal["auto"] | Annotated[Integer, Field(ge=0, le=2)],
    one_error("verbosity", "Input should be 'auto', 0, 1 or 2"),
]
"""Keras ``fit``'s ``verbose``: ``"auto"``, 0 (silent), 1 (progress bar) or 2 (a line per
epoch)."""

PositiveNumber = Annotated[Number, Field(gt=0.0)]
"""A number > 0."""

DropoutRate = Annotated[Number, Field(ge=0.0, lt=1.0)]
"""The share of units dropout zeroes: a number in [0, 1)."""

TopP = Annotated[Number, Field(gt=0.0, le=1.0)]
"""The probability mass of the nucleus sampling draws from: a number in (0, 1]."""


class SplitParams(Settings):
    """The shares of the captioned posts held out: ``val_fraction`` (early stopping) and
    ``test_fraction`` (evaluation), each in [0, 1], together below 1 so that some captions
    are left to train on."""

    val_fraction: Share
    test_fraction: Share

    @model_validator(mode="after")
    def _leaves_captions_to_train_on(self) -> "SplitParams":
        if self.val_fraction + self.test_fraction >= 1.0:
            raise PydanticCustomError(
                "split_leaves_no_training",
                "val_fraction + test_fraction should be less than 1 (the rest is trained on)",
            )
        return self


class CaptionModelParams(Section):
    """``params:caption_model``.

    The network: ``architecture`` (:data:`Architecture`), ``embedding_dim``, ``lstm_units``
    and ``hidden_units`` (each >= 1), ``image_weight`` (the projected image's scale, >= 0)
    and ``dropout`` (in [0, 1)). The vocabulary: ``min_char_count`` (rarer characters are
    UNK) and ``max_len`` (tokens per caption), each >= 1. Training: ``learning_rate`` (> 0),
    ``epochs``, ``batch_size`` and ``length_multiple`` (each >= 1), ``packed_training`` and
    ``fused_lstm`` (:data:`AutoOrBool`), ``early_stopping_patience`` (>= 0), ``seed`` (>= 0),
    ``verbose`` (:data:`Verbosity`), ``min_training_captions`` (fewer: not trained, >= 1),
    the ``split`` (:class:`SplitParams`) and ``checkpoint_dir``. Generation: ``decoder``
    (:data:`Decoder`), ``beam_width`` (>= 1), ``temperature`` (> 0), ``top_p`` (in (0, 1]),
    ``no_repeat_ngram_size`` (greedy and beam search write no character n-gram twice in a
    caption; 0: off; >= 0) and ``decode_batch_size`` (>= 1). Evaluation: ``ngram_order``,
    ``shuffled_image_repeats`` and ``real_word_list_size`` (each >= 1) and
    ``samples_in_table`` (>= 0).
    """

    SECTION = "caption_model"

    architecture: Architecture
    min_char_count: Count
    max_len: Count
    image_weight: Weight
    embedding_dim: Count
    lstm_units: Count
    hidden_units: Count
    dropout: DropoutRate
    learning_rate: PositiveNumber
    epochs: Count
    batch_size: Count
    length_multiple: Count
    packed_training: AutoOrBool
    fused_lstm: AutoOrBool
    early_stopping_patience: NonNegativeCount
    seed: Seed
    verbose: Verbosity
    min_training_captions: Count
    split: SplitParams
    checkpoint_dir: str
    decoder: Decoder
    beam_width: Count
    temperature: PositiveNumber
    top_p: TopP
    no_repeat_ngram_size: NonNegativeCount
    decode_batch_size: Count
    ngram_order: Count
    shuffled_image_repeats: Count
    real_word_list_size: Count
    samples_in_table: NonNegativeCount
