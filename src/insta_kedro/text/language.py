"""py3langid's model, read for many texts at once.

py3langid classifies one text at a time: a walk over the text's bytes through the model's
automaton in a Python loop, then one small product per text. :class:`BatchLanguageIdentifier`
walks the automaton for a whole batch of texts at each step with numpy, counts the n-grams
of every text in one sparse matrix, and scores them all with one product. It reads the same
model with the same rules (upper-case text lower-cased, NFC, UTF-8 bytes; log1p of each
n-gram's count; scores scaled by 1/√bytes before the softmax), so it gives py3langid's
``classify`` answer for each text; the probabilities differ from py3langid's only by
float32 rounding (the sums are taken in another order).
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from py3langid.langid import LanguageIdentifier
from scipy import sparse


def encode(text: str) -> bytes:
    """The bytes py3langid reads of ``text``: lower-cased when all upper-case, NFC, UTF-8."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


@dataclass
class BatchLanguageIdentifier:
    """py3langid's ``identifier`` (with ``norm_probs=True`` and its languages set), applied
    to many texts at once by :meth:`classify`."""

    identifier: LanguageIdentifier

    def __post_init__(self) -> None:
        if not self.identifier._norm_probs:  # noqa: SLF001 - the model's own setting
            raise ValueError("BatchLanguageIdentifier reads normalized probabilities only")

    @cached_property
    def _next_move(self) -> np.ndarray:
        return np.frombuffer(self.identifier.tk_nextmove, dtype=np.uint32)

    @cached_property
    def _row_base(self) -> np.ndarray:
        return np.frombuffer(self.identifier.tk_row, dtype=np.uint16).astype(np.int64) << 8

    @cached_property
    def _output(self) -> np.ndarray:
        return np.asarray(self.identifier.tk_output, dtype=np.int64)

    @cached_property
    def _log_probabilities(self) -> np.ndarray:
        return np.asarray(self.identifier.nb_ptc, dtype=np.float32)

    def classify(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The language of each text and its normalized probability, as py3langid's
        ``classify`` gives them. A text with none of the model's n-grams gets the same
        probability, 1/len(languages), for every language, and the first language."""
        labels = list(self.identifier.nb_classes)
        if not len(texts):
            return [], np.zeros(0, dtype=np.float32)
        encoded = [encode(text) for text in texts]
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        counts = self._ngram_counts(encoded, lengths)
        counts.data = np.log1p(counts.data)
        scores = np.asarray(counts @ self._log_probabilities, dtype=np.float32)
        scores += self.identifier.nb_pc
        scores[np.diff(counts.indptr) == 0] = 0.0  # no n-gram: uniform, as py3langid
        scores *= (1.0 / np.sqrt(np.maximum(lengths, 1))).astype(np.float32)[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        for first, dupe in self.identifier._alias_pairs:  # noqa: SLF001
            scores[:, first] += scores[:, dupe]
            scores[:, dupe] = 0.0
        best = scores.argmax(axis=1)
        return [labels[i] for i in best], scores[np.arange(len(best)), best]

    def _ngram_counts(self, encoded: list[bytes], lengths: np.ndarray) -> sparse.csr_matrix:
        """How often each of the model's n-grams occurs in each text, ``(texts, n-grams)``.

        All texts take a step through the automaton together, one byte each; the texts are
        taken longest first, so those still walking are always the first ones."""
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        order = np.argsort(-lengths, kind="stable")
        starts = bounds[order]
        walking = np.searchsorted(
            -lengths[order], -np.arange(1, int(lengths.max(initial=0)) + 1), side="right"
        )
        state = np.zeros(len(encoded), dtype=np.int32)
        visited = np.empty(len(data), dtype=np.int32)
        for step, live in enumerate(walking):
            at = starts[:live] + step
            state[:live] = self._next_move[self._row_base[state[:live]] + data[at]]
            visited[at] = state[:live]
        found = self._output[visited]
        kept = np.flatnonzero(found >= 0)  # positions of a byte that ends an n-gram
        counts = sparse.csr_matrix(
            (np.ones(len(kept), dtype=np.float32), found[kept], np.searchsorted(kept, bounds)),
            shape=(len(encoded), self._log_probabilities.shape[0]),
        )
        counts.sum_duplicates()
        return counts
