"""Benchmark of text_features → fusion → clustering → people as posts grow; prints a table.

    .venv/bin/python benchmarks/scale.py [--sizes 100000 300000 1000000]
        [--engines local dask] [--image-tables lazy frame] [--themes 8] [--seed 0]
        [--membership] [--posts-per-person 500] [--on-theme 1.0]

No photos and no VGG16: each of N synthetic posts has a caption and a 512-d image feature
(``layer: pool``'s size) drawn from a seeded mix of ``--themes`` themes, so the right answer
is known. A theme is an interest category of conf/base/interests/lexicon.yml: its captions
take words of that category and of everyday English, and its image features scatter around
a theme centre. Each person posts 500 posts (``--posts-per-person``) of one theme; with
``--on-theme`` below 1, only that share of them, the others of themes drawn at random.

Every (size, engine) runs in a new process, so its peak memory is its own. The stages are
the domain functions the nodes call (``text.build_post_text_features``,
``fusion.build_post_features_and_model``, ``personas.cluster_vectors``), with conf/base's
parameters and the one docs/scaling.md changes at scale, ``clustering.posts.membership:
false`` (``--membership`` keeps it on, as conf/base ships it); ``dask`` is a
``LocalCluster`` of one single-threaded worker per core. Then the stages about people, in
this process on either engine: ``people`` times
``fusion.collect_interest_evidence``, ``fusion.build_user_features`` and
``personas.cluster_people``; ``describe`` times ``personas.cluster_profiles`` (both levels);
``characterize`` times ``personas.user_characterizations``, each person following 20 others
drawn at random.

The image features are written to a Parquet file in a scratch folder as the image_features
pipeline writes them, and fusion reads them as the catalog loads them (``lazy``: a pyarrow
dataset read in batches) or, as the baseline, read whole into a pandas frame (``frame``).

Printed per run: seconds of each stage and in all, the peak resident memory of the driver
and of the largest worker, the ARI of the post clusters against the themes and of the
persona clusters against the people's themes (noise as a label), and the share of people
whose top interest is their theme. Then, per engine and image table, the growth exponent of
the total time (the slope of log time over log N between the smallest and the largest size;
1.0 is linear).
Last, where the driver's memory goes: its peak after the synthetic inputs and after each
stage, and the size of each table (strings and vectors included), and the ratios of
``lazy`` to ``frame`` where both ran.
"""

import argparse
import json
import math
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from insta_kedro.kedro_ext.lazy_parquet_dataset import ROW_GROUP_SIZE, LazyParquetDataset

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF = PROJECT_ROOT / "conf" / "base"
THEMES = ("food", "travel", "fitness", "music", "pets", "fashion", "art", "sports", "beauty")
EVERYDAY = [
    "today",
    "with",
    "my",
    "friends",
    "what",
    "a",
    "day",
    "so",
    "happy",
    "the",
    "best",
    "time",
    "again",
    "here",
    "we",
    "go",
    "weekend",
    "vibes",
    "love",
    "this",
    "new",
    "morning",
    "night",
    "good",
    "feeling",
    "thank",
    "you",
    "all",
]
FEATURE_SIZE = 512
POSTS_PER_PERSON = 500
DRAW_BLOCK = 50_000
FOLLOWS_PER_PERSON = 20


def synthetic(
    count: int,
    themes: int,
    seed: int,
    image_path: Path,
    posts_per_person: int = POSTS_PER_PERSON,
    on_theme: float = 1.0,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, pd.DataFrame, pd.Series]:
    """``posts`` (the contract's columns, a post a day per person), each post's theme,
    ``profiles``, ``follows`` (each person follows :data:`FOLLOWS_PER_PERSON` others drawn
    at random) and each person's theme (by profile); the ``image_features`` (the contract's columns,
    512-d) are written to ``image_path`` as the image_features pipeline writes them (Parquet
    in row groups of the catalog's size). Each person posts ``posts_per_person`` posts; a
    post is of the person's theme with probability ``on_theme``, else of a theme drawn at
    random (1.0: every post of the person's theme, and no draw for it)."""
    rng = np.random.default_rng(seed)
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    vocabularies = [
        [term for term in lexicon[name] if term.isascii() and term.isalpha()]
        for name in THEMES[:themes]
    ]
    people = max(1, count // posts_per_person)
    person_theme = rng.integers(0, themes, people)
    person = np.minimum(np.arange(count) // posts_per_person, people - 1)
    theme = person_theme[person]
    if on_theme < 1.0:
        off = rng.random(count) >= on_theme
        theme[off] = rng.integers(0, themes, int(off.sum()))
    captions = []
    for t in theme:
        words = list(rng.choice(vocabularies[t], rng.integers(2, 6)))
        words += list(rng.choice(EVERYDAY, rng.integers(3, 9)))
        rng.shuffle(words)
        captions.append(
            " ".join(words) + f" #{vocabularies[t][rng.integers(len(vocabularies[t]))]}"
        )
    centres = rng.gamma(1.0, 1.0, (themes, FEATURE_SIZE)).astype(np.float32)
    post_ids = [f"S{i:08d}" for i in range(count)]
    # Drawn and written in blocks, so no matrix of every feature is held (the same numbers
    # as one draw of the whole matrix).
    writer = None
    for start in range(0, count, DRAW_BLOCK):
        stop = min(start + DRAW_BLOCK, count)
        noise = rng.gamma(1.0, 0.6, (stop - start, FEATURE_SIZE)).astype(np.float32)
        block = pd.DataFrame(
            {
                "post_id": post_ids[start:stop],
                "image_sha256": [f"{i:064x}" for i in range(start, stop)],
                "feature": list(centres[theme[start:stop]] + noise),
                "encoder": "vgg16-pool-synthetic",
                "error": pd.Series([None] * (stop - start), dtype=object),
            }
        )
        table = pa.Table.from_pandas(block, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(image_path, table.schema)
        writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
        del block, table
        pa.default_memory_pool().release_unused()
    writer.close()
    names = np.array([f"person{p:05d}" for p in range(people)], dtype=object)
    day = np.arange(count) - person * posts_per_person
    posts = pd.DataFrame(
        {
            "post_id": post_ids,
            "profile": names[person],
            "taken_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(day, unit="D"),
            "caption": captions,
            "has_caption": True,
            "hashtags": [[caption.rsplit("#", 1)[1]] for caption in captions],
            "mentions": [[] for _ in range(count)],
            "likes": pd.array(rng.integers(0, 5_000, count), dtype="Int64"),
            "comments": pd.array(rng.integers(0, 200, count), dtype="Int64"),
            "typename": "GraphImage",
            "is_video": False,
            "n_media": 1,
            "image_path": None,
            "accessibility_caption": None,
        }
    )
    profiles = pd.DataFrame(
        {
            "profile": names,
            "user_id": [str(1_000 + p) for p in range(people)],
            "full_name": [f"Person {p}" for p in range(people)],
            "biography": "",
            "followers": pd.array(rng.integers(100, 100_000, people), dtype="Int64"),
            "followees": pd.array(np.full(people, FOLLOWS_PER_PERSON), dtype="Int64"),
            "is_verified": False,
            "is_business": False,
            "category": None,
            "is_private": pd.array([False] * people, dtype="boolean"),
            "followers_known": True,
            "followees_known": True,
        }
    )
    follows = pd.DataFrame(
        {
            "follower": np.repeat(names, FOLLOWS_PER_PERSON),
            "followee": names[rng.integers(0, people, people * FOLLOWS_PER_PERSON)],
        }
    )
    themes_of_people = pd.Series([THEMES[t] for t in person_theme], index=names)
    return (
        posts,
        theme,
        profiles,
        follows[follows["follower"] != follows["followee"]],
        themes_of_people,
    )


def peak_rss_mib() -> float:
    """This process's peak resident memory: ``VmHWM`` where Linux gives it (the peak of this
    program alone; ``ru_maxrss`` keeps the peak of the process it was forked from, as a
    LocalCluster's spawned workers are), else ``ru_maxrss``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table_mib(frame: pd.DataFrame) -> float:
    """Memory of ``frame`` with its strings and the arrays of its vector columns."""
    size = frame.memory_usage(index=True, deep=True).sum()
    for column in frame.columns:
        first = frame[column].iloc[0] if len(frame) else None
        if isinstance(first, np.ndarray):
            size += sum(vector.nbytes for vector in frame[column])
    return size / 2**20


def one_run(
    count: int,
    engine_name: str,
    image_table: str,
    themes: int,
    seed: int,
    membership: bool,
    posts_per_person: int,
    on_theme: float,
) -> dict:
    """The stages on ``count`` posts with ``engine_name``: seconds, memory, ARI.
    ``image_table``: ``lazy``, the image features as the catalog loads them (a pyarrow
    dataset, read in batches), or ``frame``, the whole table read into a pandas frame.
    ``membership``: ``clustering.posts.membership``; ``posts_per_person`` and ``on_theme``:
    the people of :func:`synthetic`."""
    from sklearn.metrics import adjusted_rand_score

    from insta_kedro import fusion, personas, text
    from insta_kedro.engine import EngineParams, close_clients, dask_client

    parameters = {}
    for name in ("text_features", "fusion", "clustering", "engine"):
        parameters |= yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())
    text_params = text.TextFeaturesParams.model_validate(parameters["text_features"])
    fusion_params = fusion.FusionParams.model_validate(parameters["fusion"])
    parameters["clustering"]["posts"]["membership"] = membership
    clustering = personas.ClusteringParams.model_validate(parameters["clustering"])
    engine_params = EngineParams.model_validate({**parameters["engine"], "name": engine_name})
    engine = engine_params.engine("text_features")
    lexicon = yaml.safe_load((CONF / "interests" / "lexicon.yml").read_text())
    imagenet = yaml.safe_load((CONF / "interests" / "imagenet_categories.yml").read_text())
    profile_categories = yaml.safe_load((CONF / "interests" / "profile_categories.yml").read_text())
    person = fusion_params.person
    scratch = tempfile.TemporaryDirectory(prefix="scale_")
    image_path = Path(scratch.name) / "image_features.parquet"
    posts, theme, profiles, follows, person_theme = synthetic(
        count, themes, seed, image_path, posts_per_person, on_theme
    )
    if image_table == "lazy":
        image_features = LazyParquetDataset(filepath=str(image_path)).load()
        image_mib = 0.0  # nothing read yet
    else:
        image_features = pd.read_parquet(image_path)
        image_mib = table_mib(image_features)
    no_generated = pd.DataFrame(
        columns=["post_id", "generated_caption", "mean_log_prob", "decoder"]
    )
    no_labels = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    seconds: dict[str, float] = {}
    peak_after = {"inputs": peak_rss_mib()}
    tables = {"posts": table_mib(posts), "image_features": image_mib}
    tables |= {"profiles": table_mib(profiles), "follows": table_mib(follows)}
    worker_peak = 0.0

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        """Adds the seconds of the block to ``seconds[name]``; the driver's peak after it."""
        started = time.perf_counter()
        yield
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        peak_after[name] = peak_rss_mib()

    settings = clustering.model_dump()
    try:
        if engine.distributed:
            dask_client(None)
        with stage("text_features"):
            captions = posts["caption"].tolist()
            topic_model = text.fit_topic_model(captions, **text_params.topics.model_dump())
            interests = text.InterestLexicon.from_config(
                lexicon, **text_params.interests.model_dump()
            )
            scoring = {"weight", "min_probability"}  # used when scoring, not fitting
            classifier = text.fit_interest_classifier(
                captions, interests, **text_params.interest_classifier.model_dump(exclude=scoring)
            )
            post_text_features, _ = text.build_post_text_features(
                posts,
                no_generated,
                topic_model,
                lexicon,
                text_params.model_dump(),
                classifier,
                engine,
            )
        tables["post_text_features"] = table_mib(post_text_features)
        with stage("fusion"):
            post_features, _, _ = fusion.build_post_features_and_model(
                posts,
                post_text_features,
                image_features,
                no_labels,
                imagenet,
                fusion_params.model_dump(),
                topic_model,
                lexicon,
                text_params.model_dump(),
                classifier,
            )
        tables["post_features"] = table_mib(post_features)
        del image_features
        with stage("people"):  # as the fusion pipeline runs them, before the clustering
            evidence = fusion.collect_interest_evidence(
                posts,
                profiles,
                no_labels,
                interests,
                imagenet,
                profile_categories,
                person.evidence_top_n,
            )
            user_features = fusion.build_user_features(
                posts,
                profiles,
                post_features,
                post_text_features,
                interests,
                profile_categories,
                profile_category_weight=person.profile_category_weight,
                biography_weight=person.biography_weight,
                persona_weights=person.persona_weights.model_dump(),
                interest_sharpening=person.interest_sharpening,
            )
        del post_text_features
        with stage("clustering"):
            level = personas.post_level_params(settings, len(post_features))
            clusters, post_clusterer = personas.cluster_vectors(
                post_features, "post_id", level, clustering.seed, engine_params.engine("clustering")
            )
        tables["post_clusters"] = table_mib(clusters)
        with stage("people"):
            user_clusters, user_clusterer = personas.cluster_people_by_validity(
                user_features, settings
            )
        with stage("describe"):
            descriptions = personas.cluster_profiles(
                posts,
                post_features,
                user_features,
                clusters,
                user_clusters,
                post_clusterer,
                user_clusterer,
                settings,
            )
        with stage("characterize"):
            characterizations = personas.user_characterizations(
                posts,
                profiles,
                follows,
                post_features,
                user_features,
                user_clusters,
                descriptions,
                no_generated,
                evidence,
                settings,
            )
        if engine.distributed:
            peaks = dask_client(None).run(peak_rss_mib)
            worker_peak = max(peaks.values())
    finally:
        close_clients()
        scratch.cleanup()
    top_interests = pd.Series(
        {name: next(iter(c["interests"]), None) for name, c in characterizations.items()}
    )
    return {
        "posts": count,
        "engine": engine_name,
        "image_table": image_table,
        "seconds": seconds,
        "total_s": sum(seconds.values()),
        "driver_peak_mib": peak_rss_mib(),
        "driver_peak_after_mib": peak_after,
        "table_mib": tables,
        "worker_peak_mib": worker_peak,
        "ari": float(adjusted_rand_score(theme, clusters["cluster"].to_numpy())),
        "noise": float((clusters["cluster"] == -1).mean()),
        "people": len(user_clusters),
        "persona_ari": float(
            adjusted_rand_score(
                person_theme[user_clusters["profile"]], user_clusters["cluster"].to_numpy()
            )
        ),
        "persona_noise": float((user_clusters["cluster"] == -1).mean()),
        "top_interest_right": float((top_interests == person_theme[top_interests.index]).mean()),
    }


def output_of(command: list[str]) -> str:
    """The standard output of ``command``, run to its end. When it fails, exits naming the
    command, its exit status and the end of its standard error (which is kept quiet
    otherwise: TensorFlow's and the pipelines' log lines)."""
    finished = subprocess.run(command, check=False, capture_output=True, text=True)
    if finished.returncode != 0:
        raise SystemExit(
            f"error: {shlex.join(command)} failed (exit status {finished.returncode}):\n"
            f"{finished.stderr[-4000:]}"
        )
    return finished.stdout


def run_in_new_process(**options: object) -> dict:
    """:func:`one_run` with these keyword arguments, in a new Python process."""
    output = output_of([sys.executable, __file__, "--one", json.dumps(options)])
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument(
        "--engines", nargs="+", choices=["local", "dask"], default=["local", "dask"]
    )
    parser.add_argument("--themes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--image-tables",
        nargs="+",
        choices=["lazy", "frame"],
        default=["lazy"],
        help="how fusion gets the image features: lazy (as the catalog loads them) and/or "
        "frame (the whole table in memory, the baseline)",
    )
    parser.add_argument(
        "--membership",
        action="store_true",
        help="compute the posts' membership vectors (clustering.posts.membership: true, as "
        "conf/base ships it); without it they are off, as docs/scaling.md sets them at scale",
    )
    parser.add_argument(
        "--posts-per-person",
        type=int,
        default=POSTS_PER_PERSON,
        help="posts of each synthetic person (fewer: more people, each read from fewer posts)",
    )
    parser.add_argument(
        "--on-theme",
        type=float,
        default=1.0,
        help="the share of a person's posts that are of their theme; the others are of a "
        "theme drawn at random (1.0: all of them, as before)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.themes <= len(THEMES):
        parser.error(f"--themes must be 1 to {len(THEMES)} (the themes: {', '.join(THEMES)})")
    if args.one:
        print(json.dumps(one_run(**json.loads(args.one))))
        return

    runs = []
    for count in sorted(args.sizes):
        for engine in args.engines:
            for image_table in args.image_tables:
                runs.append(
                    run_in_new_process(
                        count=count,
                        engine_name=engine,
                        image_table=image_table,
                        themes=args.themes,
                        seed=args.seed,
                        membership=args.membership,
                        posts_per_person=args.posts_per_person,
                        on_theme=args.on_theme,
                    )
                )
                print(json.dumps(runs[-1]), flush=True)
    header = (
        "posts      engine  images  text_s  fusion_s  people_s  clustering_s  describe_s  "
        "characterize_s  total_s  driver MiB  worker MiB  ARI    noise   persona ARI  "
        "noise   top-1"
    )
    print(f"\n{header}\n{'-' * len(header)}")
    for run in runs:
        s = run["seconds"]
        print(
            f"{run['posts']:<10,} {run['engine']:<7} {run['image_table']:<6}  "
            f"{s['text_features']:>6.1f}  {s['fusion']:>8.1f}  {s['people']:>8.1f}  "
            f"{s['clustering']:>12.1f}  {s['describe']:>10.1f}  {s['characterize']:>14.1f}  "
            f"{run['total_s']:>7.1f}  {run['driver_peak_mib']:>10.0f}  "
            f"{run['worker_peak_mib']:>10.0f}  {run['ari']:.3f}  {100 * run['noise']:4.1f} %  "
            f"{run['persona_ari']:>11.3f}  {100 * run['persona_noise']:4.1f} %  "
            f"{run['top_interest_right']:.3f}"
        )
    print(f"\ndriver peak MiB after: {' / '.join(runs[0]['driver_peak_after_mib'])}; tables MiB")
    for run in runs:
        after = " / ".join(f"{mib:,.0f}" for mib in run["driver_peak_after_mib"].values())
        tables = ", ".join(f"{name} {mib:,.0f}" for name, mib in run["table_mib"].items())
        print(f"{run['posts']:<10,} {run['engine']:<7} {run['image_table']:<6} {after}; {tables}")
    for engine in args.engines:
        for image_table in args.image_tables:
            mine = [r for r in runs if (r["engine"], r["image_table"]) == (engine, image_table)]
            if len(mine) >= 2:
                small, large = mine[0], mine[-1]
                exponent = math.log(large["total_s"] / small["total_s"]) / math.log(
                    large["posts"] / small["posts"]
                )
                print(f"growth exponent of the total time, {engine}, {image_table}: {exponent:.2f}")
    lazy = {(r["posts"], r["engine"]): r for r in runs if r["image_table"] == "lazy"}
    for run in runs:
        if run["image_table"] == "frame" and (run["posts"], run["engine"]) in lazy:
            other = lazy[(run["posts"], run["engine"])]
            print(
                f"lazy / frame, {run['posts']:,} posts, {run['engine']}: driver peak "
                f"{other['driver_peak_mib'] / run['driver_peak_mib']:.2f}x, fusion time "
                f"{other['seconds']['fusion'] / run['seconds']['fusion']:.2f}x, total time "
                f"{other['total_s'] / run['total_s']:.2f}x"
            )


if __name__ == "__main__":
    main()
