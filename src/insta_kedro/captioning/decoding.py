"""Caption decoders over the step model: greedy, sampling (temperature, top-p) and beam search.

All three run batched over images, one step-model call per character for the whole batch
(``width`` rows per image for beam search), and one more, on the rows whose end matters at
that step, for the end probability. A caption ends at the stop token or after ``max_len``
tokens. Padding, start and UNK are never emitted: UNK stands for every character the
vocabulary lacks (capitals, digits and emojis when they are rare), so it is not one character
to write, and where the model expects it the decoders write the most probable character the
vocabulary has.

Where a caption ends is the model's probability of ending there (:func:`end_probability`):
the stop token next, or a run of up to ``END_UNK_RUN`` characters the vocabulary lacks and
then the stop token, as in the many captions that end with one emoji or a few (❤️ is two
code points). All three decoders end captions with it: greedy where it is at least the most
probable character's probability, beam search as one more way for a prefix to go on, scored
with it, and sampling with that probability at each step, which temperature and top-p leave
as it is (otherwise the next character is drawn from the tempered top-p nucleus of the
characters). So sampled captions are as long as the model expects captions to be;
temperature and top-p would otherwise cut the stop token, one token of low probability at
almost every step, and the captions would run on to ``max_len``. Greedy and beam search end
a caption only where ending is more probable than what else may come, which the model's most
probable text (often a loop) may never reach.

A decoder asks for the end probability only where it could change what it does (an upper
bound, :func:`end_bound`, tells where): the captions are those it would give with every
caption's end probability at every step.

``mean_log_prob`` is the mean natural log-probability, under the model at temperature 1, of
the tokens emitted and of the end when reached (its :func:`end_probability`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, assert_never, get_args

import numpy as np

from insta_kedro.captioning.params import Decoder
from insta_kedro.captioning.vocabulary import PAD_ID, START_ID, STOP_ID, UNK_ID

if TYPE_CHECKING:  # Keras: imported where a network is built, not to decode with one
    from insta_kedro.captioning.network import StepModel

DECODERS = get_args(Decoder)
NEVER_EMITTED = (PAD_ID, START_ID, UNK_ID)
NOT_CHARACTERS = (*NEVER_EMITTED, STOP_ID)
# the longest run of characters the vocabulary lacks (UNK) after which a caption's end is
# counted: 90 % of the real captions of ../shared/data/instagram-dl that end within max_len
# end after at most 3 (0: 26, 1: 28, 2: 16, 3: 3, more: 8 of 81)
END_UNK_RUN = 3
_TINY = 1e-30


@dataclass(frozen=True)
class DecodedCaption:
    tokens: list[int]  # emitted tokens, the stop token excluded
    mean_log_prob: float
    stopped: bool  # True when the stop token ended it, False when max_len cut it


def _allowed_probs(probs: np.ndarray) -> np.ndarray:
    probs = probs.astype(np.float64)
    probs[:, NEVER_EMITTED] = 0.0
    return probs


def _finish(out: np.ndarray, lengths: np.ndarray, log_probs: np.ndarray, stopped: np.ndarray):
    return [
        DecodedCaption(
            tokens=[int(t) for t in row[: n - int(s)]],
            mean_log_prob=float(lp / max(n, 1)),
            stopped=bool(s),
        )
        for row, n, lp, s in zip(out, lengths, log_probs, stopped, strict=True)
    ]


def end_probability(probs: np.ndarray, after_unks: np.ndarray) -> np.ndarray:
    """The probability that each caption ends here: the stop token next, or a run of UNK
    (characters the vocabulary lacks, which no decoder writes) and then the stop token.

    Takes the next token's probabilities ``probs`` ``(n, vocab_size)`` and those of the token
    after 1, 2, … ``k`` UNK ``after_unks`` ``(k, n, vocab_size)``. Returns ``(n,)`` float64:
    ``P(stop) + P(UNK) · (P(stop | UNK) + P(UNK | UNK) · (… P(stop | k UNK)))`` (at most 1:
    the network's float32 probabilities may sum a hair above it).
    """
    ends = np.zeros(len(probs))
    for p in (*after_unks[::-1], probs):
        ends = p[:, STOP_ID].astype(np.float64) + p[:, UNK_ID].astype(np.float64) * ends
    return np.minimum(ends, 1.0)


def end_bound(probs: np.ndarray) -> np.ndarray:
    """An upper bound of :func:`end_probability` from ``probs`` ``(n, vocab_size)`` alone:
    ``P(stop) + P(UNK)`` (at most 1), ``(n,)`` float64."""
    return np.minimum(probs[:, STOP_ID].astype(np.float64) + probs[:, UNK_ID], 1.0)


def _end_probabilities(
    step_model: StepModel, probs: np.ndarray, state: tuple[np.ndarray, ...], needed: np.ndarray
) -> np.ndarray:
    """Each caption's :func:`end_probability` (through up to ``END_UNK_RUN`` UNK) where
    ``needed`` ``(n,)`` is true, its :func:`end_bound` elsewhere; ``(n,)`` float64.

    Takes the next token's probabilities ``probs`` and the state they came with. A decoder
    asks only for the captions whose end could change what it does (the bound tells which),
    so the steps after UNK cost one step-model call on those rows, none when there is none.
    """
    ends = end_bound(probs)
    rows = np.flatnonzero(needed)
    if len(rows):
        unk = np.full(len(rows), UNK_ID, dtype=np.int32)
        rows_state = tuple(s[rows] for s in state)
        after_unk, deeper, _ = step_model.step_ahead(unk, rows_state, UNK_ID, END_UNK_RUN - 1)
        ends[rows] = end_probability(probs[rows], np.concatenate([after_unk[None], deeper]))
    return ends


def repeated_ngram_bans(prefix: np.ndarray, size: int, vocab_size: int) -> np.ndarray:
    """Which characters would repeat a character ``size``-gram of their caption: a boolean
    ``(n, vocab_size)`` mask, true for each token that, written next, makes the last ``size``
    tokens of ``prefix`` ``(n, t)`` equal to ``size`` tokens that come earlier in it (the
    ``no_repeat_ngram_size`` of n-gram blocking, over characters). No token for ``size`` 0;
    never padding, start, UNK or the stop token.
    """
    n, t = prefix.shape
    bans = np.zeros((n, vocab_size), dtype=bool)
    if size == 0 or t < size:
        return bans
    context = size - 1  # the tokens an earlier n-gram shares with the end of the prefix
    if context == 0:
        rows, starts = np.nonzero(np.ones((n, t), dtype=bool))
    else:
        # the earlier n-grams (starts 0 … t - size) whose context ends as the prefix does,
        # then those whose other context tokens match too
        rows, starts = np.nonzero(prefix[:, context - 1 : t - 1] == prefix[:, t - 1 :])
        for k in range(context - 1):
            same = prefix[rows, starts + k] == prefix[rows, t - context + k]
            rows, starts = rows[same], starts[same]
    bans[rows, prefix[rows, starts + context]] = True
    bans[:, NOT_CHARACTERS] = False
    return bans


def _block_repeats(probs: np.ndarray, prefix: np.ndarray, size: int) -> np.ndarray:
    """``probs`` ``(n, vocab_size)`` with the characters that would repeat a ``size``-gram
    of ``prefix`` (:func:`repeated_ngram_bans`) at probability 0; ``probs`` itself when
    ``size`` is 0."""
    if size == 0:
        return probs
    return np.where(repeated_ngram_bans(prefix, size, probs.shape[1]), 0.0, probs)


def _with_end(probs: np.ndarray, p_end: np.ndarray) -> np.ndarray:
    """Float64 probabilities of what may come next: the characters, and in the stop token's
    column the end probability ``p_end`` (padding, start and UNK at 0)."""
    out = _allowed_probs(probs)
    out[:, STOP_ID] = p_end
    return out


def _decode_one_path(
    step_model: StepModel,
    images: np.ndarray,
    max_len: int,
    choose,
    no_repeat_ngram_size: int = 0,
) -> list[DecodedCaption]:
    """Decode ``images`` one token per step; ``choose(probs, state)`` returns each row's next
    token and its probability (the stop token: the caption's end, with the probability of
    ending there). Characters that would repeat a ``no_repeat_ngram_size``-gram of their
    caption get probability 0 first (none with 0)."""
    n = len(images)
    state = step_model.start(images)
    tokens = np.full(n, START_ID, dtype=np.int32)
    out = np.zeros((n, max_len), dtype=np.int32)
    lengths = np.zeros(n, dtype=np.int64)
    log_probs = np.zeros(n)
    done = np.zeros(n, dtype=bool)
    for t in range(max_len):
        probs, state = step_model.step(tokens, state)
        probs = _block_repeats(probs, out[:, :t], no_repeat_ngram_size)
        choice, chosen = choose(probs, state)
        active = ~done
        out[active, t] = choice[active]
        lengths += active
        log_probs += np.where(active, np.log(np.maximum(chosen, _TINY)), 0.0)
        done |= choice == STOP_ID
        tokens = choice.astype(np.int32)
        if done.all():
            break
    return _finish(out, lengths, log_probs, done)


def greedy_decode(
    step_model: StepModel, images: np.ndarray, max_len: int, no_repeat_ngram_size: int = 0
) -> list[DecodedCaption]:
    """The most probable character at every step; the end where the model's probability of
    ending there (:func:`end_probability`) is at least that of every character. With
    ``no_repeat_ngram_size`` n > 0, no character that would repeat a character n-gram of its
    caption (:func:`repeated_ngram_bans`)."""

    def choose(probs: np.ndarray, state) -> tuple[np.ndarray, np.ndarray]:
        best_char = _with_end(probs, 0.0).max(axis=1)
        p_end = _end_probabilities(step_model, probs, state, end_bound(probs) >= best_char)
        candidates = _with_end(probs, p_end)
        choice = candidates.argmax(axis=1)
        return choice, candidates[np.arange(len(probs)), choice]

    return _decode_one_path(step_model, images, max_len, choose, no_repeat_ngram_size)


def _nucleus_draw(
    probs: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator
) -> np.ndarray:
    """One token per row of ``probs`` (``(n, vocab_size)``, each row with some mass), drawn
    from ``probs ** (1 / temperature)`` cut to its top-``top_p`` nucleus."""
    # p ** (1 / T) in log space, relative to the most probable token: a small T cannot
    # underflow every token to 0 (0 / 0 would pick padding).
    allowed = probs > 0
    log_p = np.log(np.where(allowed, probs, 1.0)) / temperature
    log_p -= np.where(allowed, log_p, -np.inf).max(axis=1, keepdims=True)
    p = np.exp(np.where(allowed, log_p, -np.inf))
    p /= p.sum(axis=1, keepdims=True)
    order = np.argsort(-p, axis=1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=1)
    sorted_p *= (np.cumsum(sorted_p, axis=1) - sorted_p) < top_p  # keeps the first always
    cdf = np.cumsum(sorted_p, axis=1)
    draw = rng.random(len(p))[:, None] * cdf[:, -1:]
    picked = np.minimum((cdf <= draw).sum(axis=1), p.shape[1] - 1)
    return order[np.arange(len(p)), picked]


def sample_decode(
    step_model: StepModel,
    images: np.ndarray,
    max_len: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int = 0,
) -> list[DecodedCaption]:
    """End each caption with the model's probability of ending (:func:`end_probability`);
    else draw the next character from the tempered distribution cut to its top-p nucleus.

    ``temperature`` > 0 (below 1 sharpens the distribution, above 1 flattens it); ``top_p``
    in (0, 1]: the most probable characters whose probabilities reach it are drawn from.
    Neither touches where captions end, so their lengths follow the model's. A vocabulary
    without characters ends every caption at once.
    """
    rng = np.random.default_rng(seed)

    def choose(probs: np.ndarray, state) -> tuple[np.ndarray, np.ndarray]:
        chars = probs.astype(np.float64)
        chars[:, NOT_CHARACTERS] = 0.0
        no_char = chars.sum(axis=1) == 0
        chars[no_char, STOP_ID] = 1.0  # nothing to write: the draw below is the end
        draw = rng.random(len(probs))
        p_end = _end_probabilities(step_model, probs, state, no_char | (draw < end_bound(probs)))
        ends = no_char | (draw < p_end)
        char = _nucleus_draw(chars, temperature, top_p, rng)
        choice = np.where(ends, STOP_ID, char)
        return choice, np.where(ends, p_end, probs[np.arange(len(probs)), char])

    return _decode_one_path(step_model, images, max_len, choose)


def beam_decode(
    step_model: StepModel,
    images: np.ndarray,
    max_len: int,
    width: int = 3,
    no_repeat_ngram_size: int = 0,
) -> list[DecodedCaption]:
    """Keep the ``width`` most probable prefixes per image; return the best mean log-prob.

    A prefix goes on with a character or ends with the model's probability of ending there
    (:func:`end_probability`). Beams are ranked by their total log-probability while
    searching; among the final beams the one with the highest mean log-probability per token
    (the end counted as one) wins, so short captions are not favoured. Width 1 is greedy
    decoding; ``width`` is an integer >= 1. With ``no_repeat_ngram_size`` n > 0, no prefix
    goes on with a character that would repeat a character n-gram of it
    (:func:`repeated_ngram_bans`).
    """
    n, vocab = len(images), step_model.vocab_size
    state = tuple(np.repeat(s, width, axis=0) for s in step_model.start(images))
    scores = np.full((n, width), -np.inf)
    scores[:, 0] = 0.0
    out = np.zeros((n, width, max_len), dtype=np.int32)
    lengths = np.zeros((n, width), dtype=np.int64)
    finished = np.zeros((n, width), dtype=bool)
    tokens = np.full(n * width, START_ID, dtype=np.int32)
    for t in range(max_len):
        probs, state = step_model.step(tokens, state)
        probs = _block_repeats(probs, out[:, :, :t].reshape(n * width, t), no_repeat_ngram_size)
        candidates, best = _best_continuations(step_model, probs, state, scores, finished)
        parent, token = best // vocab, best % vocab
        scores = np.take_along_axis(candidates, best, axis=1)
        out = np.take_along_axis(out, parent[..., None], axis=1)
        out[:, :, t] = token
        was_finished = np.take_along_axis(finished, parent, axis=1)
        lengths = np.take_along_axis(lengths, parent, axis=1) + ~was_finished
        finished = was_finished | (token == STOP_ID)
        flat_parent = (np.arange(n)[:, None] * width + parent).ravel()
        state = tuple(s[flat_parent] for s in state)
        tokens = token.ravel().astype(np.int32)
        if finished.all():
            break
    mean = np.where(np.isfinite(scores), scores / np.maximum(lengths, 1), -np.inf)
    pick = mean.argmax(axis=1)
    rows = np.arange(n)
    return _finish(out[rows, pick], lengths[rows, pick], scores[rows, pick], finished[rows, pick])


def _best_continuations(
    step_model: StepModel,
    probs: np.ndarray,
    state: tuple[np.ndarray, ...],
    scores: np.ndarray,
    finished: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Beam search's candidates ``(n, width * vocab_size)`` (each beam's total log-probability
    with each character, or with its end; a finished beam carries on with padding, unchanged)
    and the ``width`` best of each image, best first.

    Takes the next token's probabilities ``probs`` ``(n * width, vocab_size)``, the state,
    the beams' ``scores`` and ``finished`` ``(n, width)``. An end is scored by its
    :func:`end_probability` where its :func:`end_bound` reaches the ``width``-th best
    candidate without ends, and by the bound elsewhere (below ``width`` candidates, so never
    among the best): the same best as with every end's own probability.
    """
    n, width = scores.shape
    vocab = probs.shape[1]
    stay = np.full(vocab, -np.inf)
    stay[PAD_ID] = 0.0

    def candidates(p_end: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_p = np.log(_with_end(probs, p_end)).reshape(n, width, vocab)
        log_p = np.where(finished[..., None], stay, log_p)
        return (scores[..., None] + log_p).reshape(n, width * vocab)

    bound = end_bound(probs)
    without_ends = candidates(np.zeros(len(probs)))
    threshold = np.partition(without_ends, -width, axis=1)[:, -width]
    with np.errstate(divide="ignore"):
        bound_scores = scores + np.log(bound).reshape(n, width)
    needed = (~finished & (bound_scores >= threshold[:, None])).ravel()
    scored = candidates(_end_probabilities(step_model, probs, state, needed))
    return scored, np.argsort(-scored, axis=1, kind="stable")[:, :width]


def decode_captions(
    step_model: StepModel,
    images: np.ndarray,
    max_len: int,
    decoder: Decoder = "greedy",
    temperature: float = 1.0,
    top_p: float = 1.0,
    beam_width: int = 3,
    seed: int = 0,
    batch_size: int = 256,
    no_repeat_ngram_size: int = 0,
) -> list[DecodedCaption]:
    """Decode every image with the named decoder (:data:`Decoder`), ``batch_size`` images per
    batch; ``temperature`` and ``top_p`` are :func:`sample_decode`'s (the ``n``-th batch drawn
    with ``seed + n``), ``beam_width`` :func:`beam_decode`'s ``width``; greedy and beam search
    block repeats of character ``no_repeat_ngram_size``-grams (none with 0). Returns one
    :class:`DecodedCaption` per image, in order."""
    images = np.asarray(images, dtype=np.float32)
    results: list[DecodedCaption] = []
    for i, start in enumerate(range(0, len(images), batch_size)):
        chunk = images[start : start + batch_size]
        if decoder == "greedy":
            results += greedy_decode(step_model, chunk, max_len, no_repeat_ngram_size)
        elif decoder == "sample":
            results += sample_decode(step_model, chunk, max_len, temperature, top_p, seed + i)
        elif decoder == "beam":
            results += beam_decode(step_model, chunk, max_len, beam_width, no_repeat_ngram_size)
        else:
            assert_never(decoder)
    return results
