"""VADER's sentiment scores, read word by word in a window instead of over the whole text.

``vaderSentiment``'s :meth:`~SentimentIntensityAnalyzer.polarity_scores` lower-cases every word
of the text again for each sentiment word it scores (its negation and idiom checks), and adds
the text to a new string one character at a time while it replaces emojis by their
descriptions, so its time grows with the square of a caption's length. Yet what it gives a word
depends only on the three words before it and the two after it, on whether the text mixes
ALL-CAPS and other words, on a "but" and on the punctuation.

:class:`WindowedSentimentAnalyzer` keeps VADER's own rules (its ``sentiment_valence``,
``_but_check`` and ``score_valence`` are called as they are) and hands ``sentiment_valence``
only that window of words, and replaces the emojis with one regex. The scores are VADER's,
value for value (``tests/text/test_vader.py`` compares them on real and crafted captions).
"""

import re
from typing import Any

from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentimentIntensityAnalyzer, SentiText

from insta_kedro.text.charclass import one_of

BEFORE, AFTER = 3, 2
"""The words before and after a sentiment word that VADER's rules read."""


class _Window:
    """What ``sentiment_valence`` reads of its ``SentiText``: some words and the text's
    ALL-CAPS flag."""

    __slots__ = ("is_cap_diff", "words_and_emoticons")

    def __init__(self, words: list[str], is_cap_diff: bool) -> None:
        self.words_and_emoticons = words
        self.is_cap_diff = is_cap_diff


class WindowedSentimentAnalyzer(SentimentIntensityAnalyzer):
    """``vaderSentiment``'s analyzer, with the same lexicons and scores, in time linear in the
    length of the text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The original reads the text one character at a time, so only the emoji lexicon's
        # single-character entries can ever match.
        singles = {emoji for emoji in self.emojis if len(emoji) == 1}
        self._emoji = re.compile(one_of(singles)) if singles else None

    def describe_emojis(self, text: str) -> str:
        """``text`` with each emoji of the lexicon replaced by its description, with a space
        before it unless it starts the text or follows one, as ``polarity_scores`` does."""
        if self._emoji is None:
            return text

        def description(match: re.Match) -> str:
            start = match.start()
            space = " " if start and text[start - 1] != " " else ""
            return space + self.emojis[match.group()]

        return self._emoji.sub(description, text)

    def polarity_scores(self, text: str) -> dict[str, float]:
        """``{"neg", "neu", "pos", "compound"}`` of ``text``, as VADER scores it."""
        text = self.describe_emojis(text).strip()
        sentitext = SentiText(text)
        words = sentitext.words_and_emoticons
        lowered = [word.lower() for word in words]
        last = len(words) - 1
        sentiments: list[float] = []
        for i, (word, lower) in enumerate(zip(words, lowered, strict=True)):
            # Boosters and "kind of" score 0; so does a word outside the lexicon, for which
            # sentiment_valence only appends its starting valence, 0.
            if (
                lower not in self.lexicon
                or lower in BOOSTER_DICT
                or (i < last and lower == "kind" and lowered[i + 1] == "of")
            ):
                sentiments.append(0)
                continue
            first = max(0, i - BEFORE)
            window = _Window(words[first : i + AFTER + 1], sentitext.is_cap_diff)
            sentiments = self.sentiment_valence(0, window, word, i - first, sentiments)
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text)
