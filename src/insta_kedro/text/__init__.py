"""Caption text: per-caption features (``captions``, ``tags``), each language's stop words
(``common_words``), topics (``topic_model``),
interests (``interest_lexicon``, ``interest_classifier``), the ``post_text_features`` table,
and the typed ``text_features`` parameters (``params``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "captions": [
            "caption_features",
            "content_text",
            "detect_languages",
            "plain_text",
        ],
        "common_words": [
            "folded",
            "has_abjad",
            "is_stop_word",
            "stop_words",
        ],
        "interest_classifier": [
            "InterestClassifier",
            "fit_interest_classifier",
        ],
        "interest_lexicon": [
            "InterestLexicon",
            "OTHER",
            "REQUIRED_CATEGORIES",
            "image_label_interests",
            "imagenet_label_categories",
            "shares",
        ],
        "params": [
            "DocumentFrequency",
            "InterestClassifierParams",
            "InterestParams",
            "LanguageParams",
            "TextFeaturesParams",
            "TopicParams",
        ],
        "post_features": [
            "align_generated_captions",
            "build_post_text_features",
        ],
        "tags": [
            "extract_hashtags",
            "extract_mentions",
        ],
        "topic_model": [
            "CaptionTopicModel",
            "fit_topic_model",
        ],
        "words": [
            "WORD",
            "is_compact",
            "is_spaceless",
            "words_of",
        ],
    },
)
