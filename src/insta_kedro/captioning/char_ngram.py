"""Character n-gram baseline: interpolated Witten–Bell smoothing over caption token ids.

It predicts exactly what the network predicts (the ids of :mod:`insta_kedro.captioning.vocabulary`:
characters, UNK and stop, after a start token), so both bits-per-character figures compare
like with like. Every context backs off down to a uniform distribution over those tokens,
so each prediction is a proper distribution and no test character gets probability 0.

    P(w | h) = (c(h, w) + T(h) · P(w | h')) / (c(h) + T(h))

with ``c`` the training counts, ``T(h)`` the number of distinct tokens seen after ``h`` and
``h'`` the context without its oldest token.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from insta_kedro.captioning.vocabulary import PAD_ID, START_ID


class CharNgramModel:
    """Interpolated Witten–Bell n-gram model; ``order`` counts the predicted token too."""

    def __init__(self, order: int, vocab_size: int):
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order
        self.vocab_size = vocab_size
        # Every token but padding and start can follow a context.
        self.n_outcomes = vocab_size - 2
        self._counts: dict[tuple[int, ...], Counter] = defaultdict(Counter)

    def fit(self, sequences: Iterable[Sequence[int]]) -> "CharNgramModel":
        """Count every n-gram of ``[start] + tokens`` up to ``order``."""
        for sequence in sequences:
            history = [START_ID] * (self.order - 1) + [t for t in sequence if t != START_ID]
            for i in range(self.order - 1, len(history)):
                token = history[i]
                for k in range(self.order):
                    self._counts[tuple(history[i - k : i])][token] += 1
        return self

    def prob(self, context: Sequence[int], token: int) -> float:
        """P(token | the last ``order - 1`` tokens of context)."""
        if token in (PAD_ID, START_ID):
            return 0.0
        context = tuple(context)[-(self.order - 1) :] if self.order > 1 else ()
        context = (START_ID,) * (self.order - 1 - len(context)) + context
        p = 1.0 / self.n_outcomes
        for k in range(self.order):  # from the empty context up to the longest one
            counts = self._counts.get(context[len(context) - k :] if k else ())
            if not counts:
                continue  # unseen context: keep the lower order's estimate
            total, distinct = counts.total(), len(counts)
            p = (counts[token] + distinct * p) / (total + distinct)
        return p

    def sequence_nats(self, sequence: Sequence[int]) -> tuple[float, int]:
        """Total -ln P of the tokens after start, and how many tokens that is."""
        tokens = [t for t in sequence if t not in (START_ID, PAD_ID)]
        history = [START_ID] * (self.order - 1)
        nats = 0.0
        for token in tokens:
            nats -= math.log(self.prob(history, token))
            history = history[1:] + [token] if self.order > 1 else history
        return nats, len(tokens)

    def bits_per_character(self, sequences: Iterable[Sequence[int]]) -> float:
        nats, count = 0.0, 0
        for sequence in sequences:
            n, c = self.sequence_nats(sequence)
            nats += n
            count += c
        return nats / max(count, 1) / math.log(2)
