"""Benchmark of the text_features pipeline on synthetic captions; prints a table.

    .venv/bin/python benchmarks/text_features.py [--captions 100000] [--seed 0]

Captions are recombined from the demo generator's captions and the real captions of
../shared/data/instagram-dl (when present): each synthetic caption takes 1-3 lines from random
captions, random extra hashtags, mentions and emojis, and 2% of them are empty, 1% are
very long (20 lines), so the mix has every shape the bad-input tests cover. Real captions
keep coining hashtags (the 2,733 real posts of ../shared/data/real-captions hold 3,403
distinct hashtags and tagged accounts), while recombined lines repeat theirs: each caption
also gets a Poisson(``--new-tags``) number of compound hashtags of 2-3 common English words
(``#sunsetbeachwalk``), nearly all distinct, which every reader of hashtags must split.
The three nodes run as in ``kedro run`` (``fit_caption_topics``, ``fit_interest_classifier``,
``build_post_text_features``) with the parameters and lexicon of conf/base; generated
captions are absent (half of the work).

Reported: captions/s of each node and of the whole, the time per feature family on a
sample, the time to split a hashtag with the installed word segmentation against
wordsegment's own search (the baseline, on the same sample of the run's distinct tags), and
the peak memory (max RSS) of this process, which must stay under 4 GB.
"""

import argparse
import re
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from insta_kedro.ingestion import parse_download_folder, write_demo_download
from insta_kedro.text import (
    InterestLexicon,
    TextFeaturesParams,
    build_post_text_features,
    caption_features,
    fit_interest_classifier,
    fit_topic_model,
)
from insta_kedro.text.interest_lexicon import split_hashtag

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF = PROJECT_ROOT / "conf" / "base"
REAL_DATA = PROJECT_ROOT / ".." / "shared" / "data" / "instagram-dl"
NEW_TAGS = 0.5  # coined compound hashtags per caption, by default
EXTRAS = [
    "#foodie",
    "#ootd",
    "#gymlife",
    "#travelgram",
    "@friend",
    "@brand.co",
    "🔥",
    "😍",
    "🐶",
    "✨",
    "🏋️‍♀️",
    "👍🏽",
]


def source_captions() -> list[str]:
    """Captions of the demo generator and, when present, of the real download (logged)."""
    with tempfile.TemporaryDirectory() as scratch:
        write_demo_download(Path(scratch) / "demo")
        captions = parse_download_folder(Path(scratch) / "demo").posts["caption"].tolist()
    if REAL_DATA.is_dir():
        real = parse_download_folder(REAL_DATA).posts["caption"].tolist()
        print(f"source captions: {len(captions)} of the demo, {len(real)} of {REAL_DATA.resolve()}")
        captions += real
    else:
        print(f"source captions: {len(captions)} of the demo only (no {REAL_DATA.resolve()})")
    return [c for c in captions if c.strip()]


def compound_tags(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` hashtags, each 2-3 of the 5,000 commonest English words run together."""
    from wordfreq import top_n_list

    words = [w for w in top_n_list("en", 5000) if w.isalpha() and w.isascii()]
    return [
        "#" + "".join(words[i] for i in rng.integers(0, len(words), int(rng.integers(2, 4))))
        for _ in range(count)
    ]


def synthetic_posts(count: int, seed: int, new_tags: float = NEW_TAGS) -> pd.DataFrame:
    """``count`` posts (``post_id``, ``caption``, ``has_caption``) of recombined captions,
    drawn with ``seed``, each with a Poisson(``new_tags``) number of coined hashtags."""
    rng = np.random.default_rng(seed)
    lines = [line for c in source_captions() for line in c.splitlines() if line.strip()]
    tags_per_caption = rng.poisson(new_tags, count)
    coined = iter(compound_tags(rng, int(tags_per_caption.sum())))
    captions = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.02:
            captions.append("")
            continue
        n_lines = 20 if roll > 0.99 else int(rng.integers(1, 4))
        parts = [lines[i] for i in rng.integers(0, len(lines), n_lines)]
        parts += [EXTRAS[i] for i in rng.integers(0, len(EXTRAS), int(rng.integers(0, 4)))]
        parts += [next(coined) for _ in range(tags_per_caption[len(captions)])]
        captions.append("\n".join(parts))
    return pd.DataFrame(
        {
            "post_id": [f"P{i:07d}" for i in range(count)],
            "caption": captions,
            "has_caption": [bool(c) for c in captions],
        }
    )


def split_seconds(tags: list[str]) -> tuple[float, float]:
    """Seconds per tag to split ``tags`` (uncached) with the installed word segmentation and
    with wordsegment's own search, the baseline."""
    import wordsegment

    baseline = wordsegment.Segmenter()
    baseline.load()
    split_hashtag.__wrapped__(tags[0])  # loads the installed segmentation's counts
    letters = [re.sub(r"[^a-z]+", " ", tag.lower()).split() for tag in tags]
    start = time.perf_counter()
    for tag in tags:
        split_hashtag.__wrapped__(tag)
    installed = (time.perf_counter() - start) / len(tags)
    start = time.perf_counter()
    for parts in letters:
        [word for part in parts for word in baseline.segment(part)]
    return installed, (time.perf_counter() - start) / len(tags)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--new-tags", type=float, default=NEW_TAGS, help="coined compound hashtags per caption"
    )
    args = parser.parse_args()

    settings = yaml.safe_load((CONF / "parameters_text_features.yml").read_text())["text_features"]
    params = TextFeaturesParams.model_validate(settings)  # as Kedro hands it to the nodes
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    posts = synthetic_posts(args.captions, args.seed, args.new_tags)
    no_generated = pd.DataFrame(
        columns=["post_id", "generated_caption", "mean_log_prob", "decoder"]
    )
    distinct_tags = sorted(set(posts["caption"].str.findall(r"[#@][\w.]+").explode().dropna()))
    print(
        f"{len(posts):,} captions, mean length {posts['caption'].str.len().mean():.0f} chars, "
        f"{len(distinct_tags):,} distinct hashtags and accounts; "
        f"peak RSS before: {peak_rss_mb():.0f} MB"
    )

    captions = posts["caption"].fillna("").tolist()
    start = time.perf_counter()
    model = fit_topic_model(
        captions, **params.topics.model_dump(), language=params.language.model_dump()
    )
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    interests = InterestLexicon.from_config(lexicon, **params.interests.model_dump())
    scoring = {"weight", "min_probability"}  # used when scoring, not fitting
    classifier = fit_interest_classifier(
        captions, interests, **params.interest_classifier.model_dump(exclude=scoring)
    )
    classifier_s = time.perf_counter() - start
    start = time.perf_counter()
    features, report = build_post_text_features(
        posts, no_generated, model, lexicon, params.model_dump(), classifier
    )
    build_s = time.perf_counter() - start

    sample = posts["caption"].head(2000)
    families = {}
    start = time.perf_counter()
    languages = caption_features(sample, **settings["language"])["language"].tolist()
    families["counts+language+sentiment"] = time.perf_counter() - start
    start = time.perf_counter()
    model.transform(sample.tolist(), languages)  # as build_post_text_features: languages read
    families["topics (transform)"] = time.perf_counter() - start
    start = time.perf_counter()
    InterestLexicon.from_config(lexicon, **settings["interests"]).scores(sample.tolist())
    families["interests (lexicon)"] = time.perf_counter() - start
    start = time.perf_counter()
    classifier.predict(sample.tolist())
    families["interests (classifier)"] = time.perf_counter() - start

    sample_tags = [
        distinct_tags[i]
        for i in np.random.default_rng(args.seed).permutation(len(distinct_tags))[:2000]
    ]
    installed_s, baseline_s = split_seconds(sample_tags)

    total = fit_s + classifier_s + build_s
    print("\n| step | seconds | captions/s |\n|---|---:|---:|")
    print(f"| fit_caption_topics | {fit_s:.1f} | {len(posts) / fit_s:,.0f} |")
    print(f"| fit_interest_classifier | {classifier_s:.1f} | {len(posts) / classifier_s:,.0f} |")
    print(f"| build_post_text_features | {build_s:.1f} | {len(posts) / build_s:,.0f} |")
    print(f"| text_features total | {total:.1f} | {len(posts) / total:,.0f} |")
    print(f"\nper feature family, {len(sample):,} captions:")
    for name, seconds in families.items():
        print(f"  {name}: {len(sample) / seconds:,.0f} captions/s")
    print(
        f"\nsplitting a hashtag ({len(sample_tags):,} distinct tags of the run): "
        f"{installed_s * 1e6:,.1f} µs, wordsegment's own search {baseline_s * 1e6:,.1f} µs "
        f"({baseline_s / installed_s:,.0f}x); all {len(distinct_tags):,} once: "
        f"{installed_s * len(distinct_tags):,.1f} s against "
        f"{baseline_s * len(distinct_tags):,.1f} s"
    )
    print(
        f"\nfeature columns: {features.shape[1] - 1}; languages: "
        f"{dict(list(report['own_captions']['languages'].items())[:5])}"
    )
    peak = peak_rss_mb()
    print(f"peak RSS: {peak:,.0f} MB ({'within' if peak < 4096 else 'OVER'} the 4 GB budget)")


if __name__ == "__main__":
    main()
