import math

import pytest

from insta_kedro.captioning.char_ngram import CharNgramModel
from insta_kedro.captioning.vocabulary import PAD_ID, START_ID, build_vocabulary

CAPTIONS = ["hello world", "hello there", "help me", "yellow"]


def fitted(order: int):
    vocab = build_vocabulary(CAPTIONS, min_char_count=1, max_len=40)
    model = CharNgramModel(order, vocab.size).fit(vocab.encode(c) for c in CAPTIONS)
    return vocab, model


@pytest.mark.parametrize("order", [1, 3, 6])
def test_every_context_gives_a_proper_distribution(order):
    vocab, model = fitted(order)
    for context in ([], [START_ID], [vocab.char_id(c) for c in "hel"], [vocab.char_id("z")] * 7):
        probs = [model.prob(context, t) for t in range(vocab.size)]
        assert sum(probs) == pytest.approx(1.0)
        assert probs[PAD_ID] == probs[START_ID] == 0.0
        assert min(probs[2:]) > 0


def test_higher_order_learns_the_training_text():
    vocab, low = fitted(1)
    _, high = fitted(6)
    seqs = [vocab.encode(c) for c in CAPTIONS]
    assert high.bits_per_character(seqs) < low.bits_per_character(seqs) - 1
    # after "hel" the training text continues with "l" or "p"
    ctx = [vocab.char_id(c) for c in "hel"]
    assert high.prob(ctx, vocab.char_id("l")) + high.prob(ctx, vocab.char_id("p")) > 0.8


def test_sequence_nats_counts_stop_but_not_start():
    vocab, model = fitted(3)
    nats, count = model.sequence_nats(vocab.encode("help"))
    assert count == 5  # h e l p <stop>
    assert nats > 0 and math.isfinite(nats)
