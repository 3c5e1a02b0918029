"""Interest scores over a curated set of categories, from captions and ImageNet labels.

Two user-editable tables in ``conf/base/interests/`` (loaded as catalog YAML datasets):

- ``lexicon.yml``: category → terms. A term is a word (``outfit``), a phrase of several
  words (``hip hop``, ``read-thru``), a hashtag without ``#`` or an emoji. A caption's words,
  hashtags and emojis are matched exactly (their regular
  English singulars, :func:`singulars`, and a possessive ``'s`` are also tried; a term with
  digits, such as ``35mm``, is found as a whole word; an emoji ZWJ sequence that is no term
  is read by the words of its Unicode name); a hashtag that is no term is split into words by
  wordsegment's English word counts (``#dogsofinstagram`` → dogs of insta gram, searched by
  instant-segment where it is installed) and each word of at least
  ``min_segment_length`` letters is matched; its Chinese, Japanese or Thai by ICU's word
  breaks (``text.words``: ``#東京カフェ`` → 東京 カフェ), each word matched. A caption's words
  in these scripts are ICU's words too. A mentioned account is read as a hashtag is
  (``@birdhouseskateboards`` → birdhouse skateboards), its matches weighing
  ``mention_weight`` of a hashtag's: the accounts a post tags (brands, venues, shows,
  collaborators) tell what it is about, but a handle is a name first. A phrase is found as
  consecutive words of a caption or of a split hashtag (``#hiphopmusic`` → hip hop, music;
  its last word may be plural), leftmost and longest first, and its words are not matched
  one by one as well ("box office" is film and TV, not "office"). A term written with a
  leading ``^`` is an *opening*: words (and punctuation) a caption starts with, such as the
  meme formats ``^when you`` and ``^pov:``, matched case-insensitively after any leading
  emojis, hashtags or punctuation, and weighing ``opening_weight``: how a caption is written
  can say what kind of post it is when its words do not. Words of the categories about the
  poster's own life (``not_the_posters``: family) are not read where a possessive of
  someone else introduces them ("your mom", "their kids"; not "my mom"), or right after the
  possessive of a name or an account ("Sarah's mom", "@x's niece"; not "mom's birthday").
- ``imagenet_categories.yml``: category → ``names`` (Keras ImageNet class names such as
  ``golden_retriever``) and ``index_ranges`` (``"151-268"``, matching the
  ``imagenet_class_<index>`` labels written when the class-name file is unavailable).

Each matched term counts with its specificity, ``generic_zipf`` minus its Zipf frequency in
everyday English (wordfreq), clipped to ``[0, max_weight]``: a word everyone writes ("love",
"home", "new") weighs little or nothing, a specific one ("skateboard", "🐶") a lot. A
phrase's frequency is wordfreq's estimate for several words, about that of its rarest word
("table read" weighs as "table" does): a phrase weighs at least as its words would. A word of
a caption in another language weighs by its frequency in that language too, the higher of the
two: the lexicon's English words are everyday words elsewhere (Italian "ai", to the; French
"encore", again; Dutch "rug", back), which say nothing of what the caption is about. The
caption's language is the text features' (``captions.detect_languages``; ``und``, a caption
too short to tell: English alone). Scores of
a text are the shares of its matched weight per category (they sum to 1, or are all 0 when
nothing matched); image scores are the summed top-k probabilities of mapped labels,
renormalized the same way.
"""

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache
from typing import Any

import emoji
import numpy as np
import pandas as pd
import regex

from insta_kedro.text.captions import (
    UNDETERMINED,
    CaptionParts,
    caption_parts,
    detect_languages,
    plain_text,
    strip_credits,
)
from insta_kedro.text.common_words import other_wordfreq_language, stop_words
from insta_kedro.text.words import WORD, is_spaceless, segmented, words_of

REQUIRED_CATEGORIES = (
    "fashion",
    "beauty",
    "fitness",
    "sports",
    "food",
    "travel",
    "nature",
    "pets",
    "music",
    "art",
    "family",
    "tech",
    "politics",
    "business",
    "comedy",
    "photography",
    "film_tv",
    "science",
    "gaming",
    "home",
    "other",
)
# The category of a person (or post) with no evidence for any other; it has no terms.
OTHER = "other"

# Presentation selectors, skin tones, and what a ZWJ adds to a person: a gender sign
# (🏋️‍♀️ = 🏋️ + ZWJ + ♀️) or a hair component (👩‍🦰 = 👩 + ZWJ + 🦰, red hair; curly, bald, white).
_EMOJI_MODIFIERS = re.compile(
    "[\ufe0f\ufe0e\U0001f3fb-\U0001f3ff]|\u200d[\u2640\u2642\U0001f9b0-\U0001f9b3]"
)
_IMAGENET_INDEX_LABEL = re.compile(r"imagenet_class_(\d+)$")
# The sources of a match that are the caption's own words, weighed in its language.
_WORD_SOURCES = ("word", "others_word")
_DIGIT = re.compile(r"\d")
# What separates the words of a phrase term as the lexicon is written.
_BETWEEN_WORDS = re.compile(r"\w[\s\-‐–]+\W*\w")
# A possessive "'s" of an account or a word (its owner), and the word right after it.
_NAMED_POSSESSIVE = re.compile(
    r"(?P<owner>(?<![\w@])@[A-Za-z0-9._]+|(?<![\w'’])[^\W\d_]+)['’]s\s+(?P<word>[^\W\d_]+)"
)
_LATIN = regex.compile(r"\p{Latin}")


def normalize_term(term: str) -> str:
    """Lower-case, NFC, without ``#``, emoji presentation/skin-tone modifiers, gender signs
    and hair components."""
    return _normalize(str(term))


@lru_cache(maxsize=1 << 16)
def _normalize(term: str) -> str:
    """:func:`normalize_term` of a string (cached: captions repeat their words)."""
    term = unicodedata.normalize("NFC", term).strip().lower().lstrip("#")
    return _EMOJI_MODIFIERS.sub("", term)


# A word that no tag of lower-case letters holds: it takes the rest of the corpus total in
# instant-segment's unigram and bigram counts (below).
_PADDING_WORD = "0"


@cache
def _segment() -> Callable[[str], list[str]]:
    """The word segmentation of a run of lower-case letters: wordsegment's English unigram
    and bigram counts (Google's trillion-word corpus), searched by instant-segment where its
    wheel is installed, by wordsegment's own (pure Python) search elsewhere.

    wordsegment divides every count by the whole corpus total, instant-segment by the sum of
    the counts it is given; a padding word that takes the rest of the total in both tables
    makes their probabilities the same. The searches still differ (instant-segment keeps the
    best split ending at each position, wordsegment tries every split; they penalize a word
    of no table differently), so a few tags in a thousand split differently
    (docs/features.md)."""
    import wordsegment

    counts = wordsegment.Segmenter()
    counts.load()
    try:
        import instant_segment
    except ImportError:
        return counts.segment
    unigrams = [*counts.unigrams.items()]
    unigrams.append((_PADDING_WORD, counts.total - sum(counts.unigrams.values())))
    bigrams = [(tuple(pair.split(" ", 1)), count) for pair, count in counts.bigrams.items()]
    bigrams.append(((_PADDING_WORD, _PADDING_WORD), counts.total - sum(counts.bigrams.values())))
    segmenter = instant_segment.Segmenter(iter(unigrams), iter(bigrams))

    def segment(letters: str) -> list[str]:
        search = instant_segment.Search()  # its own per call: threads may segment at once
        segmenter.segment(letters, search)
        return list(search)

    return segment


@lru_cache(maxsize=1 << 16)
def split_hashtag(tag: str) -> tuple[str, ...]:
    """The words of a compound hashtag or account name: its Latin letters by English unigram
    and bigram counts (:func:`_segment`; ``dogsofinstagram`` → dogs, of, insta, gram),
    lower-case, without accents (``cafélife`` → cafe, life); then its Chinese, Japanese and
    Thai by ICU's word breaks (``text.words.segmented``; ``東京カフェ`` → 東京, カフェ); then
    its runs of letters of other scripts as they are, which no word counts split
    (``путешествие``; ``اكل_بيتي`` → اكل, بيتي). Cached, up to a bound: a run's distinct
    hashtags and accounts are many."""
    tag = normalize_term(tag)
    letters = re.sub(r"[^a-z]+", " ", _without_accents(tag))
    words = tuple(word for part in letters.split() for word in _segment()(part))
    if tag.isascii():
        return words
    return words + tuple(word for run in WORD.findall(tag) for word in _unsplit_words(run))


def _unsplit_words(run: str) -> tuple[str, ...]:
    """The words of a run of letters of a tag that its Latin letters' split (above) leaves
    out: the ICU words of its Chinese, Japanese or Thai, or the whole run when it has no
    Latin letter."""
    if is_spaceless(run):
        return tuple(word for word in segmented(run) if is_spaceless(word))
    return () if _LATIN.search(run) else (run,)


def _without_accents(text: str) -> str:
    """``text`` with the accents of its letters taken off (café → cafe, über → uber)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def term_specificity(
    term: str, generic_zipf: float, max_weight: float, language: str = "en"
) -> float:
    """``generic_zipf`` minus the term's Zipf frequency (wordfreq) in English, or in
    ``language`` (a code as the language detector gives it) where it is more frequent there,
    in ``[0, max_weight]``: 0 for words as common as ``generic_zipf`` or more. A language
    wordfreq does not know counts as English."""
    from wordfreq import zipf_frequency

    frequency = zipf_frequency(term, "en")
    code = other_wordfreq_language(language)
    if code is not None:
        # its small list holds every word of Zipf 3 or more: all that can weigh less there
        frequency = max(frequency, _zipf_in(term, code))
    return float(np.clip(generic_zipf - frequency, 0.0, max_weight))


def _zipf_in(word: str, code: str) -> float:
    """The Zipf frequency of one word in wordfreq's small list of language ``code``.

    wordfreq splits Japanese and Korean with MeCab and Chinese with jieba, which it does not
    install: without them the word (already one word, ``text.words``) is looked up as it is,
    after wordfreq's own normalization of the language (Traditional Chinese is not
    simplified then, and is not found)."""
    from wordfreq import get_frequency_dict, zipf_frequency
    from wordfreq.preprocess import preprocess_text

    with contextlib.suppress(ImportError):
        return zipf_frequency(word, code, wordlist="small")
    frequency = get_frequency_dict(code, wordlist="small").get(preprocess_text(word, code), 0.0)
    return round(float(np.log10(max(frequency, 1e-9))) + 9, 2)


def phrase_key(term: str) -> str:
    """A lexicon term written as several words (with spaces or hyphens) as the lexicon keys
    it: its words (as a caption's are read, ``text.words.words_of``) joined by single spaces
    ("read-thru" → "read thru", "rock 'n' roll" → "rock n roll"); any other term as it is
    ("outfit", "35mm", "🎬", "東京カフェ")."""
    if not _BETWEEN_WORDS.search(term):
        return term
    words = words_of(term)
    return " ".join(words) if len(words) > 1 else term


def _opening_key(phrase: str) -> str:
    """An opening compared loosely: lower-case, NFC, single spaces."""
    return " ".join(unicodedata.normalize("NFC", phrase).lower().split())


# An English plural takes "es" after these endings ("dresses", "beaches", "tomatoes").
_ES_AFTER = ("s", "x", "z", "ch", "sh", "o")


def singulars(word: str) -> tuple[str, ...]:
    """The singulars an English plural ``word`` may have, by the regular rules: "ies" →
    "y" or "ie" ("families", "selfies"), "es" after s, x, z, ch, sh or o ("dresses"), "s"
    ("dogs", "shoes"); none for a word without a plural ending ("glass", "yoga")."""
    if word.endswith("ies"):
        return (word[:-3] + "y", word[:-1])
    if word.endswith("es") and word[:-2].endswith(_ES_AFTER):
        return (word[:-2], word[:-1])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        return (word[:-1],)
    return ()


def _is_word(term: str) -> bool:
    return any(character.isalnum() for character in term)


@dataclass(frozen=True)
class TermMatch:
    """One lexicon term found in a text: the term, where (word, hashtag, emoji, mention,
    opening), the hashtag or mentioned account it came from (or ``""``), its categories
    (indices) and its weight."""

    term: str
    source: str
    tag: str
    categories: tuple[int, ...]
    weight: float


@dataclass(frozen=True)
class InterestLexicon:
    """Compiled lexicon: terms with their categories and specificity weights."""

    categories: tuple[str, ...]
    term_categories: Mapping[str, tuple[int, ...]]
    term_weights: Mapping[str, float]
    min_segment_length: int = 3
    mention_weight: float = 0.5
    opening_categories: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    opening_weight: float = 2.0
    posters_own: tuple[int, ...] = ()
    others_words: frozenset[str] = frozenset()
    own_words: frozenset[str] = frozenset()
    others_window: int = 2
    named_owners: bool = False
    generic_zipf: float = 6.0
    max_weight: float = 3.0
    language: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(
        cls,
        lexicon: Mapping[str, Iterable[str]],
        min_segment_length: int = 3,
        generic_zipf: float = 6.0,
        max_weight: float = 3.0,
        emoji_weight: float = 1.0,
        mention_weight: float = 0.5,
        opening_weight: float = 2.0,
        not_the_posters: Mapping[str, Any] | None = None,
        language: Mapping[str, Any] | None = None,
    ) -> "InterestLexicon":
        """Build from ``{category: [terms]}``; raises ValueError when it lacks a category.

        ``generic_zipf`` and ``max_weight`` set each word's specificity weight
        (:func:`term_specificity`); emojis, whose frequency in written English says nothing
        of their use on Instagram, weigh ``emoji_weight``; ``min_segment_length``: the
        shortest word of a split hashtag or mentioned account that is matched; a mentioned
        account's matches weigh ``mention_weight`` times a hashtag's (0: mentions are not
        read); an opening (a term starting with ``^``) weighs ``opening_weight`` (0: openings
        are not read). ``not_the_posters`` (``categories``, ``introduced_by``, ``unless``,
        ``window``, ``named_owners``): the words of those categories are about the poster's
        own life, and one that a word of ``introduced_by`` precedes, within ``window`` words
        and with no word of ``unless`` among them, is not read for them ("your mom", "his
        wife"; not "my mom"); with ``named_owners``, nor is one right after the possessive of
        a name or an account (:meth:`_after_named_owners`: "Sarah's mom", "@x's niece").
        ``language``: the settings of ``captions.detect_languages`` (``min_letters``,
        ``min_probability``, ``max_chars``; text_features.language) by which a caption's
        language is told, in which its words are weighed too (:func:`term_specificity`).
        """
        missing = [name for name in REQUIRED_CATEGORIES if name not in lexicon]
        if missing:
            raise ValueError(f"interest lexicon lacks categories {missing}")
        categories = tuple(lexicon)
        not_the_posters = dict(not_the_posters or {})
        unknown = [c for c in not_the_posters.get("categories", []) if c not in categories]
        if unknown:
            raise ValueError(f"not_the_posters names categories {unknown} the lexicon lacks")
        term_categories: dict[str, list[int]] = {}
        opening_categories: dict[str, list[int]] = {}
        for index, category in enumerate(categories):
            for term in lexicon[category] or []:
                found, key = term_categories, phrase_key(normalize_term(term))
                if str(term).startswith("^"):
                    found, key = opening_categories, _opening_key(str(term)[1:])
                if key and index not in found.setdefault(key, []):
                    found[key].append(index)
        weights = {
            t: term_specificity(t, generic_zipf, max_weight) if _is_word(t) else emoji_weight
            for t in term_categories
        }
        return cls(
            categories,
            {k: tuple(v) for k, v in term_categories.items()},
            weights,
            min_segment_length,
            mention_weight,
            {k: tuple(v) for k, v in opening_categories.items()},
            opening_weight,
            tuple(categories.index(c) for c in not_the_posters.get("categories", [])),
            frozenset(w.lower() for w in not_the_posters.get("introduced_by", [])),
            frozenset(w.lower() for w in not_the_posters.get("unless", [])),
            int(not_the_posters.get("window", 2)),
            bool(not_the_posters.get("named_owners", False)),
            generic_zipf,
            max_weight,
            dict(language or {}),
        )

    @cached_property
    def _opening_pattern(self) -> re.Pattern[str] | None:
        """The openings as one pattern anchored at a caption's start (longest first), or None
        when there is none or they weigh nothing."""
        if not self.opening_categories or self.opening_weight <= 0:
            return None
        phrases = sorted(self.opening_categories, key=len, reverse=True)
        alternatives = "|".join(
            r"\s+".join(map(re.escape, phrase.split()))
            + (r"(?!\w)" if phrase[-1].isalnum() else "")
            for phrase in phrases
        )
        return re.compile(rf"[\W_]*({alternatives})")

    def opening_of(self, plain: str) -> str | None:
        """The opening (a key of :attr:`opening_categories`) that the caption's plain text
        (:func:`~insta_kedro.text.captions.plain_text`) starts with, in any case, or None."""
        pattern = self._opening_pattern
        # The pattern reads lower-case text (not IGNORECASE, which also takes "İ" and "ı" for
        # "i", "ſ" for "s"): what it matches is then a key of the openings as it is.
        found = pattern.match(plain.lower()) if pattern is not None else None
        return _opening_key(found.group(1)) if found else None

    def _lookup(self, token: str) -> str | None:
        """The lexicon term a normalized word or hashtag is, or None: the token, one of its
        singulars (:func:`singulars`), or the same of its possessive's owner ("dog's")."""
        if token.endswith(("'s", "’s")) and token not in self.term_categories:
            token = token[:-2]
        if token in self.term_categories:
            return token
        return next((s for s in singulars(token) if s in self.term_categories), None)

    @cached_property
    def _alphanumeric_terms(self) -> re.Pattern[str] | None:
        """A pattern of the terms that are words with digits ("35mm", "ps5", "f1"), which a
        caption's words (letters only) never hold; None when the lexicon has none."""
        terms = sorted(
            (t for t in self.term_categories if t.isalnum() and not t.isalpha()),
            key=len,
            reverse=True,
        )
        if not terms:
            return None
        return re.compile(rf"(?<![^\W_])(?:{'|'.join(map(re.escape, terms))})(?![^\W_])", re.I)

    @cached_property
    def _phrases(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """The phrase terms (:func:`phrase_key`) as word tuples by their first word, longest
        first."""
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for term in self.term_categories:
            if " " in term:
                words = tuple(term.split(" "))
                by_first.setdefault(words[0], []).append(words)
        return {
            first: tuple(sorted(found, key=len, reverse=True)) for first, found in by_first.items()
        }

    @cached_property
    def _phrase_pattern(self) -> re.Pattern[str] | None:
        """A pattern that finds a phrase term in a caption's lower-case plain text, a quick
        test before its words are read one by one (most captions have none); None when the
        lexicon has no phrase."""
        phrases = [words for found in self._phrases.values() for words in found]
        if not phrases:
            return None
        alternatives = "|".join(r"[\W_]+".join(map(re.escape, words)) for words in phrases)
        return re.compile(rf"(?<![^\W_])(?:{alternatives})")

    def phrase_spans(self, words: Sequence[str]) -> list[tuple[int, int, str]]:
        """``(start, end, term)`` of the phrase terms in ``words`` (lower-case), leftmost and
        longest first, none overlapping; a phrase's last word may be plural ("hip hops")."""
        phrases, spans, start = self._phrases, [], 0
        while start < len(words):
            for candidate in phrases.get(words[start], ()):
                end = start + len(candidate)
                if end <= len(words) and tuple(words[start + 1 : end - 1]) == candidate[1:-1]:
                    term = self._lookup(" ".join(words[start:end]))
                    if term == " ".join(candidate):
                        spans.append((start, end, term))
                        start = end
                        break
            else:
                start += 1
        return spans

    def _caption_phrases(self, parts: CaptionParts) -> list[tuple[int, int, str]]:
        """:meth:`phrase_spans` of a caption's words (``parts.words``)."""
        pattern = self._phrase_pattern
        if pattern is None or not pattern.search(parts.plain.lower()):
            return []
        return self.phrase_spans([normalize_term(word) for word in parts.words])

    def _match(self, term: str | None, source: str, tag: str = "") -> list[TermMatch]:
        if term is None or self.term_weights[term] <= 0:
            return []
        weight = self.term_weights[term]
        return [TermMatch(term, source, tag, self.term_categories[term], weight)]

    def matches(self, text: str) -> list[TermMatch]:
        """Every lexicon term in ``text`` (words, emojis, hashtags and mentioned accounts,
        whole or split) that has a weight above 0; credits (``captions.CREDIT``), and
        the accounts they name, are left out. Its words weigh in the caption's language too
        (:meth:`matches_in`)."""
        return self.matches_in([text])[0]

    def matches_in(self, texts: Sequence[Any]) -> list[list[TermMatch]]:
        """:meth:`matches` of each text (not a string: none), each read once; the words of
        a text weigh in its language too (:func:`term_specificity`), told
        (:meth:`languages_of`) for the texts with a matched word, all of them at once."""
        parts = [caption_parts(t) if isinstance(t, str) else None for t in texts]
        found = [[] if read is None else self._matches_of(without_credits(read)) for read in parts]
        worded = [
            row
            for row, matches in enumerate(found)
            if any(match.source in _WORD_SOURCES for match in matches)
        ]
        for row, language in zip(
            worded, self.languages_of([parts[row] for row in worded]), strict=True
        ):
            found[row] = self._in_language(found[row], language)
        return found

    def languages_of(self, parts: Sequence[CaptionParts]) -> list[str]:
        """The language of each caption read as ``parts``, as the text features tell it
        (``captions.detect_languages`` with :attr:`language`'s settings): ``und`` when it
        cannot be told (blank, too short)."""
        languages = [UNDETERMINED] * len(parts)
        readable = [row for row, read in enumerate(parts) if read.text.strip()]
        found = detect_languages([parts[row].plain for row in readable], **self.language)
        for row, language in zip(readable, found, strict=True):
            languages[row] = language
        return languages

    def _in_language(self, matches: Sequence[TermMatch], language: str) -> list[TermMatch]:
        """``matches`` with the caption's words weighed in ``language`` too (the lower weight
        of :func:`term_specificity`); a word that weighs nothing there is left out."""
        if language in ("en", UNDETERMINED):
            return list(matches)
        weighed = []
        for match in matches:
            weight = match.weight
            if match.source in _WORD_SOURCES:
                here = term_specificity(match.term, self.generic_zipf, self.max_weight, language)
                weight = min(weight, here)
            if weight > 0:
                weighed.append(match if weight == match.weight else replace(match, weight=weight))
        return weighed

    def _matches_of(self, parts: CaptionParts) -> list[TermMatch]:
        """:meth:`matches` of the caption read as ``parts`` (credits already out); each
        token's matches are remembered (:meth:`_remembered`)."""
        cache, matches = self._match_cache, []
        for source, tokens in self._tokens(parts):
            for token in tokens:
                found = cache.get((source, token))
                matches += self._remembered(source, token) if found is None else found
        return matches

    @cached_property
    def _match_cache(self) -> dict[tuple[str, str], tuple[TermMatch, ...]]:
        return {}

    def _remembered(self, source: str, token: str) -> tuple[TermMatch, ...]:
        """:meth:`_token_matches` of one token, remembered in a bounded cache (a token's
        matches depend on the token alone; a corpus' words, not every string ever read)."""
        found = tuple(self._token_matches(source, token))
        if len(self._match_cache) >= 1 << 18:
            self._match_cache.clear()
        self._match_cache[source, token] = found
        return found

    def _tokens(self, parts: CaptionParts) -> tuple[tuple[str, Sequence[str]], ...]:
        """What the lexicon reads of a caption, in matching order: (source, tokens) of its
        words (the poster's, then those someone else's possessive introduces: :meth:`_whose`),
        emojis, hashtags, mentioned accounts (each emoji, hashtag and account once: a run of
        🤣 is emphasis, not more evidence) and its opening (:meth:`opening_of`, none or
        one)."""
        opening = self.opening_of(parts.plain)
        words, others = self._whose(parts)
        alphanumeric = self._alphanumeric_terms
        if alphanumeric is not None and _DIGIT.search(parts.plain):
            words = (*words, *alphanumeric.findall(parts.plain))
        return (
            ("word", words),
            ("others_word", others),
            ("emoji", tuple(dict.fromkeys(map(normalize_term, parts.emojis)))),
            ("hashtag", parts.unique_hashtags()),
            ("mention", parts.unique_mentions()),
            ("opening", (opening,) if opening else ()),
        )

    @cached_property
    def _others_pattern(self) -> re.Pattern[str] | None:
        """A pattern that finds a word of :attr:`others_words` in a caption's plain text, a
        quick test before its words are read one by one (most captions have none); None when
        every word is read."""
        if not self.posters_own or not self.others_words:
            return None
        words = "|".join(map(re.escape, sorted(self.others_words)))
        return re.compile(rf"\b(?:{words})\b", re.IGNORECASE)

    def _whose(self, parts: CaptionParts) -> tuple[Sequence[str], Sequence[str]]:
        """The caption's words and phrases (:meth:`phrase_spans`, each read as one token)
        split into those read as the poster's and those introduced by someone else's
        possessive: a word of :attr:`others_words` within :attr:`others_window` words before
        with none of :attr:`own_words` among them, or the possessive of a name or an account
        right before (:meth:`_after_named_owners`); a phrase goes with its first word."""
        introduced = self._after_possessive_words(parts)
        if self.named_owners and self.posters_own:
            introduced |= self._after_named_owners(parts)
        spans = self._caption_phrases(parts)
        if not introduced and not spans:
            return parts.words, ()
        words = parts.words
        inside = {index for start, end, _ in spans for index in range(start, end)}
        own = [w for i, w in enumerate(words) if i not in introduced and i not in inside]
        others = [words[i] for i in sorted(introduced) if i not in inside]
        for start, _, term in spans:
            (others if start in introduced else own).append(term)
        return own, others

    def _after_possessive_words(self, parts: CaptionParts) -> set[int]:
        """The indices in ``parts.words`` of the words within :attr:`others_window` after a
        word of :attr:`others_words`, none of :attr:`own_words` within :attr:`others_window`
        before them ("your mom", "his little brother"; not "your mom and my mom"'s second)."""
        pattern = self._others_pattern
        if pattern is None or not pattern.search(parts.plain):
            return set()
        lowered = [word.lower() for word in parts.words]
        window = self.others_window
        return {
            index
            for start, word in enumerate(lowered)
            if word in self.others_words
            for index in range(start + 1, min(start + 1 + window, len(lowered)))
            if self.own_words.isdisjoint(lowered[max(0, index - window) : index])
        }

    def _after_named_owners(self, parts: CaptionParts) -> set[int]:
        """The indices in ``parts.words`` of the words of :attr:`posters_own` categories right
        after the possessive of a name or an account: "Sarah's mom", "Seymour's nephew",
        "@x's niece". Not after a stop word's "'s" ("it's", "that's", "he's"), nor after a
        possessive of the poster's own categories ("mom's birthday", "Mother's Day")."""
        if "'s" not in parts.text and "’s" not in parts.text:
            return set()
        found = set()
        for possessive in _NAMED_POSSESSIVE.finditer(parts.text):
            owner, word = possessive.group("owner"), possessive.group("word")
            if not self._is_posters_own(word) or (
                not owner.startswith("@")
                and (owner.lower() in stop_words("en") or self._is_posters_own(owner))
            ):
                continue
            # the word's index: the words of the caption before it
            found.add(len(words_of(plain_text(parts.text[: possessive.start("word")]))))
        return found

    def _is_posters_own(self, word: str) -> bool:
        """Whether ``word`` is a term of a :attr:`posters_own` category."""
        term = self._lookup(normalize_term(word))
        return term is not None and any(c in self.posters_own for c in self.term_categories[term])

    def _token_matches(self, source: str, token: str) -> list[TermMatch]:
        """The matches of one word, emoji, hashtag, mentioned account or opening
        (``source``); a word introduced by someone else's possessive (``others_word``) is not
        matched for the categories about the poster's own life."""
        if source == "others_word":
            return [
                replace(match, categories=kept)
                for match in self._token_matches("word", token)
                if (kept := tuple(c for c in match.categories if c not in self.posters_own))
            ]
        if source == "hashtag":
            return self._tag_matches(token)
        if source == "mention":
            return self._mention_matches(token)
        if source == "opening":
            categories = self.opening_categories[token]
            return [TermMatch(token, "opening", "", categories, self.opening_weight)]
        if source == "emoji" and "\u200d" in token and token not in self.term_categories:
            return self._sequence_matches(token)
        return self._match(self._lookup(normalize_term(token)), source)

    def _sequence_matches(self, sequence: str) -> list[TermMatch]:
        """The matches of an emoji ZWJ sequence that is no term, read as the words of its
        Unicode name (``emoji.demojize``): 👩‍🍳 "woman cook", 🐈‍⬛ "black cat", 👨‍🚀 "man
        astronaut"; each word weighs as a caption's word would, and is found as the emoji."""
        name = emoji.demojize(sequence, delimiters=("\x00", "\x00"))
        if not (name.startswith("\x00") and name.endswith("\x00")):
            return []
        return [
            replace(match, term=sequence, source="emoji")
            for word in re.split(r"[\W_]+", name)
            if word
            for match in self._match(self._lookup(word.lower()), "word")
        ]

    def _tag_matches(self, hashtag: str) -> list[TermMatch]:
        """The matches of one hashtag (as ``extract_hashtags`` reads it): whole, or split."""
        tag = normalize_term(hashtag)
        whole = self._lookup(tag)
        if whole is not None:
            return self._match(whole, "hashtag", tag)
        words = split_hashtag(tag)
        spans = self.phrase_spans(words)
        found = [match for _, _, term in spans for match in self._match(term, "hashtag", tag)]
        inside = {index for start, end, _ in spans for index in range(start, end)}
        for index, word in enumerate(words):
            # a word of ICU's dictionaries is a word at any length; a short one of the
            # English counts is mostly a split of letters that are no words
            if index not in inside and (len(word) >= self.min_segment_length or is_spaceless(word)):
                found += self._match(self._lookup(word), "hashtag", tag)
        return found

    def _mention_matches(self, account: str) -> list[TermMatch]:
        """The matches of one mentioned account (``extract_mentions``' name), read as a
        hashtag, each weighing :attr:`mention_weight` of it."""
        if self.mention_weight <= 0:
            return []
        return [
            replace(match, source="mention", weight=match.weight * self.mention_weight)
            for match in self._tag_matches(account)
        ]

    def match_counts(self, text: str) -> np.ndarray:
        """Matched weight per category in ``text`` (words, emojis, hashtags, accounts)."""
        return self._counts(self.matches(text))

    def _counts(self, matches: list[TermMatch]) -> np.ndarray:
        counts = np.zeros(len(self.categories), dtype=np.float64)
        for match in matches:
            for index in match.categories:
                counts[index] += match.weight
        return counts

    def weights(self, texts: Sequence[str]) -> np.ndarray:
        """Matched weight per category of each text, ``(len(texts), categories)``."""
        return self.weights_of([caption_parts(t if isinstance(t, str) else "") for t in texts])

    def weights_of(
        self, parts: Sequence[CaptionParts], languages: Sequence[str] | None = None
    ) -> np.ndarray:
        """:meth:`weights` of the captions read as ``parts`` (:func:`caption_parts`, e.g.
        from ``read_captions``): the same values without reading the captions again, the
        matches of each token remembered as :meth:`_matches_of` remembers them.
        ``languages``: each caption's language, as ``read_captions`` tells it; None: told
        here (:meth:`languages_of`) for the captions with a matched word."""
        counts = np.zeros((len(parts), len(self.categories)), dtype=np.float64)
        cache = self._match_cache
        with_words = []
        for row, read in enumerate(map(without_credits, parts)):
            # Python floats add as float64 do, in the order of _counts: the same sums.
            sums = [0.0] * len(self.categories)
            worded = False
            for source, tokens in self._tokens(read):
                for token in tokens:
                    found = cache.get((source, token))
                    for match in self._remembered(source, token) if found is None else found:
                        worded = worded or match.source in _WORD_SOURCES
                        for index in match.categories:
                            sums[index] += match.weight
            counts[row] = sums
            if worded:
                with_words.append(row)
        if languages is None:
            told = self.languages_of([parts[row] for row in with_words])
        else:
            told = [languages[row] for row in with_words]
        for row, language in zip(with_words, told, strict=True):
            if language not in ("en", UNDETERMINED):
                found = self._matches_of(without_credits(parts[row]))
                counts[row] = self._counts(self._in_language(found, language))
        return counts

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(shares per category, total matched weight) for each text; shares are 0 without
        match."""
        counts = self.weights(texts)
        return shares(counts), counts.sum(axis=1)


def without_credits(parts: CaptionParts) -> CaptionParts:
    """``parts`` of the caption with its credits (``captions.CREDIT``) replaced by a
    space, as :meth:`InterestLexicon.matches` reads it; ``parts`` itself when it has none."""
    text = strip_credits(parts.text)
    return parts if text == parts.text else caption_parts(text)


def shares(weights: np.ndarray) -> np.ndarray:
    """Rows divided by their sum; rows summing to 0 stay 0 (never NaN)."""
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def _parse_ranges(ranges: Iterable[str | int]) -> set[int]:
    indices: set[int] = set()
    for item in ranges or []:
        first, _, last = str(item).partition("-")
        indices.update(range(int(first), int(last or first) + 1))
    return indices


def imagenet_label_categories(
    labels: Iterable[str],
    table: Mapping[str, Mapping[str, Iterable]],
    categories: Sequence[str],
) -> dict[str, list[int]]:
    """For each ImageNet label (a class name, or ``imagenet_class_<index>``), the indices in
    ``categories`` of the categories ``table`` maps it to (``names``, ``index_ranges``)."""
    names = {
        c: {normalize_term(n) for n in (table.get(c) or {}).get("names", [])} for c in categories
    }
    ranges = {c: _parse_ranges((table.get(c) or {}).get("index_ranges", [])) for c in categories}

    def categories_of(label: str) -> list[int]:
        match = _IMAGENET_INDEX_LABEL.match(label)
        key = normalize_term(label)
        return [
            i
            for i, c in enumerate(categories)
            if key in names[c] or (match is not None and int(match.group(1)) in ranges[c])
        ]

    return {str(label): categories_of(str(label)) for label in labels}


def image_label_interests(
    image_labels: pd.DataFrame,
    table: Mapping[str, Mapping[str, Iterable]],
    categories: Sequence[str],
) -> pd.DataFrame:
    """Per post: category shares from its top-k ImageNet labels and the top-1 probability.

    Returns a frame indexed by ``post_id`` with one column per category and ``top1_probability``;
    empty when ``image_labels`` is empty (random encoder weights).
    """
    columns = [*categories, "top1_probability"]
    if image_labels.empty:
        return pd.DataFrame(columns=columns, dtype=np.float64).rename_axis("post_id")
    labels = image_labels.assign(label=image_labels["label"].astype(str))
    label_categories = imagenet_label_categories(labels["label"].unique(), table, categories)
    post_ids = labels["post_id"].unique()
    position = {post_id: i for i, post_id in enumerate(post_ids)}
    weights = np.zeros((len(post_ids), len(categories)))
    for post_id, label, probability in labels[["post_id", "label", "probability"]].itertuples(
        index=False
    ):
        for index in label_categories[label]:
            weights[position[post_id], index] += float(np.nan_to_num(probability))
    top1 = (
        labels.sort_values(["post_id", "rank"])
        .groupby("post_id", sort=False)["probability"]
        .first()
        .reindex(post_ids)
        .fillna(0.0)
        .to_numpy(dtype=np.float64)
    )
    frame = pd.DataFrame(shares(weights), columns=list(categories), index=post_ids)
    frame["top1_probability"] = top1
    return frame.rename_axis("post_id")
