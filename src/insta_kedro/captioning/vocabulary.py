"""Character vocabulary of the caption model: special tokens, UNK, encoding and padding.

A caption is read one Unicode code point at a time. Emojis, hashtags and @tags stay as
they are. A multi-code-point emoji (a skin tone as in 👍🏽, a ZWJ family 👨‍👩‍👧, a flag 🇺🇸,
❤️ with its variation selector) is kept as its sequence of code points: each code point is
a vocabulary entry of its own (the ZWJ U+200D and the selector U+FE0F included), so the
model learns the sequence and a generated caption re-assembles the emoji. A code point seen
fewer than ``min_char_count`` times in the training captions becomes UNK, so a rare part
turns the whole emoji into UNK tokens.

Token ids: 0 padding, 1 start, 2 stop, 3 UNK, then the kept characters, most frequent first.
An encoded caption is ``[start] + chars + [stop]`` cut to ``max_len + 1`` tokens; the network
reads ``tokens[:-1]`` and predicts ``tokens[1:]``, both padded to ``max_len`` with 0.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

PAD_ID = 0
START_ID = 1
STOP_ID = 2
UNK_ID = 3
SPECIAL_TOKENS = ("<pad>", "<start>", "<stop>", "<unk>")


@dataclass(frozen=True)
class CaptionVocabulary:
    """The characters the model knows, in id order after the four special tokens."""

    chars: tuple[str, ...]
    min_char_count: int
    max_len: int
    char_counts: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_ids", {c: i + len(SPECIAL_TOKENS) for i, c in enumerate(self.chars)}
        )

    @property
    def size(self) -> int:
        """Number of token ids, special tokens included."""
        return len(SPECIAL_TOKENS) + len(self.chars)

    def char_id(self, char: str) -> int:
        return self._ids.get(char, UNK_ID)  # type: ignore[attr-defined]

    def encode(self, caption: str) -> list[int]:
        """``[start] + ids + [stop]``, cut to ``max_len + 1`` tokens."""
        ids = [START_ID, *(self.char_id(c) for c in caption), STOP_ID]
        return ids[: self.max_len + 1]

    def decode(self, ids: Iterable[int], unk: str = "\ufffd") -> str:
        """Characters of ``ids`` up to the first stop; start/padding dropped, UNK as ``unk``."""
        out = []
        for token in map(int, ids):
            if token == STOP_ID:
                break
            if token in (PAD_ID, START_ID):
                continue
            out.append(unk if token == UNK_ID else self.chars[token - len(SPECIAL_TOKENS)])
        return "".join(out)

    def to_dict(self) -> dict:
        """JSON form of the ``caption_vocab`` dataset."""
        return {
            "special_tokens": {name: i for i, name in enumerate(SPECIAL_TOKENS)},
            "chars": list(self.chars),
            "char_counts": {c: self.char_counts[c] for c in self.chars if c in self.char_counts},
            "min_char_count": self.min_char_count,
            "max_len": self.max_len,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "CaptionVocabulary":
        return cls(
            chars=tuple(data["chars"]),
            min_char_count=int(data["min_char_count"]),
            max_len=int(data["max_len"]),
            char_counts=dict(data.get("char_counts", {})),
        )


def build_vocabulary(
    captions: Iterable[str], min_char_count: int, max_len: int
) -> CaptionVocabulary:
    """Keep the code points seen at least ``min_char_count`` times, most frequent first,
    counted in each caption's first ``max_len`` characters: the ones the model is trained to
    predict (:meth:`CaptionVocabulary.encode` cuts the rest)."""
    counts = Counter(c for caption in captions for c in caption[:max_len])
    kept = sorted(
        (c for c, n in counts.items() if n >= min_char_count), key=lambda c: (-counts[c], c)
    )
    return CaptionVocabulary(tuple(kept), min_char_count, max_len, dict(counts))


def encode_captions(
    vocab: CaptionVocabulary, captions: Iterable[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Network inputs and targets, both ``(n, max_len)`` int32, padded with 0 (= masked)."""
    captions = list(captions)
    inputs = np.zeros((len(captions), vocab.max_len), dtype=np.int32)
    targets = np.zeros_like(inputs)
    for row, caption in enumerate(captions):
        ids = vocab.encode(caption)
        inputs[row, : len(ids) - 1] = ids[:-1]
        targets[row, : len(ids) - 1] = ids[1:]
    return inputs, targets
