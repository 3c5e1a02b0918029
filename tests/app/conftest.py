"""A temporary project with small crafted outputs of every pipeline, in the contracted shapes."""

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image
from streamlit.testing.v1 import AppTest

from insta_kedro.app.catalog_reader import PROJECT_PATH_ENV

PROFILES = ("anna.cooks", "ben_hikes", "carla.sings")
COLORS = {"anna.cooks": (200, 60, 40), "ben_hikes": (40, 140, 60), "carla.sings": (60, 60, 200)}
POSTS_PER_PROFILE = 4
ENCODER = "vgg16-pool-random"  # the tmp project's image_features parameters resolve to this
FEATURE_DIM = 512

# Outputs of the clustering pipeline: added to the temporary catalog (conf/local) only while
# conf/base does not declare them yet, with the shapes the team agreed on.
CLUSTERING_CATALOG = {
    "post_clusters": {
        "type": "pandas.ParquetDataset",
        "filepath": "data/07_model_output/post_clusters.parquet",
    },
    "user_clusters": {
        "type": "pandas.ParquetDataset",
        "filepath": "data/07_model_output/user_clusters.parquet",
    },
    "cluster_profiles": {
        "type": "json.JSONDataset",
        "filepath": "data/08_reporting/cluster_profiles.json",
    },
    "user_characterizations": {
        "type": "json.JSONDataset",
        "filepath": "data/08_reporting/user_characterizations.json",
    },
}


def bomb_png(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header declares ``width`` × ``height`` pixels (its pixel data
    is that of a 1 × 1 image: decoding it would fail, so a refusal shows it was not decoded)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    data = buffer.getvalue()  # signature, then IHDR: length, type, 13 bytes of data, CRC
    chunk = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


def _base_catalog_names(project: Path) -> set[str]:
    names: set[str] = set()
    for path in (project / "conf" / "base").glob("catalog*.yml"):
        names |= set(yaml.safe_load(path.read_text()) or {})
    return names


def configure_app_project(project: Path) -> Path:
    """Adds to the temporary ``project``'s conf/local the clustering outputs conf/base does
    not declare yet and image_features parameters that need no download; returns ``project``."""
    missing = {k: v for k, v in CLUSTERING_CATALOG.items() if k not in _base_catalog_names(project)}
    if missing:
        (project / "conf" / "local" / "catalog_clustering.yml").write_text(yaml.safe_dump(missing))
    (project / "conf" / "local" / "parameters_app_test.yml").write_text(
        yaml.safe_dump(
            {"image_features": {"weights": None, "layer": "pool", "precision": "float32"}}
        )
    )
    return project


@pytest.fixture
def app_project(kedro_project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary project, with no output yet, as the app's project."""
    configure_app_project(kedro_project)
    monkeypatch.setenv(PROJECT_PATH_ENV, str(kedro_project))
    return kedro_project


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False))


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path)


def spoil_column(path: Path, column: str) -> None:
    """Overwrites the bytes of ``column`` in every row group of the Parquet file ``path``, so
    that reading that column fails while the others still read: a page that shows the file
    reads it only if it does not read that column."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    index = metadata.schema.to_arrow_schema().get_field_index(column)
    with path.open("r+b") as file:
        for group in range(metadata.num_row_groups):
            chunk = metadata.row_group(group).column(index)
            start = chunk.dictionary_page_offset or chunk.data_page_offset
            file.seek(start)
            file.write(b"\xff" * chunk.total_compressed_size)


ORPHAN = "2021-03-04_18-22-10_UTC_1.jpg"


def write_outputs(project: Path) -> dict[str, pd.DataFrame]:
    """Every output the app reads, small, in the contracted paths and shapes."""
    data = project / "data"
    rng = np.random.default_rng(0)
    rows = []
    for profile in PROFILES:
        folder = data / "01_raw" / "demo" / profile
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(POSTS_PER_PROFILE):
            image_path = folder / f"2024-01-0{i + 1}_12-00-00_UTC.jpg"
            Image.new("RGB", (48, 60), COLORS[profile]).save(image_path)
            caption = f"post {i} of {profile} #tag{i % 2} @friend" if i != 3 else ""
            rows.append(
                {
                    "post_id": f"{profile[:4].upper()}{i}",
                    "profile": profile,
                    "taken_at": pd.Timestamp(f"2024-01-0{i + 1}", tz="UTC"),
                    "caption": caption,
                    "has_caption": bool(caption),
                    "hashtags": [f"tag{i % 2}"] if caption else [],
                    "mentions": ["friend"] if caption else [],
                    "likes": 100 + i,
                    "comments": 3,
                    "typename": "GraphImage",
                    "is_video": False,
                    "n_media": 1,
                    "image_path": str(image_path.relative_to(project)),
                    "accessibility_caption": None,
                }
            )
    posts = pd.DataFrame(rows)
    posts["likes"] = posts["likes"].astype("Int64")
    posts["comments"] = posts["comments"].astype("Int64")
    _write_parquet(data / "02_intermediate" / "posts.parquet", posts)
    _write_parquet(
        data / "02_intermediate" / "profiles.parquet",
        pd.DataFrame(
            {
                "profile": PROFILES,
                "user_id": ["1", "2", "3"],
                "full_name": ["Anna Cooks", "Ben Hikes", None],
                "biography": ["", "", ""],
                "followers": [10, 20, 30],
                "followees": [1, 2, 3],
                "is_verified": False,
                "is_business": False,
                "category": None,
            }
        ),
    )
    _write_parquet(
        data / "02_intermediate" / "follows.parquet",
        pd.DataFrame({"follower": ["ben_hikes", "carla.sings"], "followee": ["anna.cooks"] * 2}),
    )
    _write_json(
        data / "08_reporting" / "ingestion_report.json",
        {
            "source": "demo",
            "profiles": {
                p: {
                    "files_seen": 9,
                    "posts_parsed": POSTS_PER_PROFILE,
                    "posts_with_caption": POSTS_PER_PROFILE - 1,
                    "skipped": {"orphan_media": 1} if p == "ben_hikes" else {},
                    "skipped_files": {"orphan_media": [ORPHAN]} if p == "ben_hikes" else {},
                    "ignored_files": {"id_file": 1},
                    "warnings": {"non_utf8_caption": 1} if p == "ben_hikes" else {},
                }
                for p in PROFILES
            },
            "totals": {
                "profiles": 3,
                "posts_parsed": len(posts),
                "skipped": {"orphan_media": 1},
                "skipped_files": {"orphan_media": [f"ben_hikes/{ORPHAN}"]},
            },
        },
    )
    _write_parquet(
        data / "04_feature" / "image_features.parquet",
        pd.DataFrame(
            {
                "post_id": posts["post_id"],
                "image_sha256": [f"{i:064x}" for i in range(len(posts))],
                "feature": [
                    rng.normal(size=FEATURE_DIM).astype(np.float32) for _ in range(len(posts))
                ],
                "encoder": ENCODER,
                "error": None,
            }
        ),
    )
    generated = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "generated_caption": [f"a generated caption {i}" for i in range(len(posts))],
            "mean_log_prob": -1.5,
            "decoder": "greedy",
        }
    )
    _write_parquet(data / "07_model_output" / "generated_captions.parquet", generated)
    _write_json(
        data / "08_reporting" / "caption_metrics.json",
        {
            "test": {"n_posts": 4, "n_characters": 80, "bpc": 3.25, "perplexity": 9.5},
            "baselines": {"char_6gram_witten_bell_bpc": 3.5, "shuffled_images_bpc": 3.3},
            "image_gain_bpc": 0.05,
            "network_minus_ngram_bpc": -0.25,
            "generation": {"decoder": "greedy", "real_word_rate": 0.4, "hashtag_rate": 0.1},
            "real_test_captions": {"real_word_rate": 0.9, "hashtag_rate": 0.3},
            "architecture": "merge",
        },
    )
    samples = pd.DataFrame(
        {
            "post_id": posts["post_id"][:3],
            "real_caption": posts["caption"][:3],
            "generated_caption": generated["generated_caption"][:3],
            "mean_log_prob": -1.5,
            "decoder": "greedy",
        }
    )
    (data / "08_reporting").mkdir(parents=True, exist_ok=True)
    samples.to_csv(data / "08_reporting" / "caption_samples.csv", index=False)

    post_clusters = pd.DataFrame(
        {
            "post_id": posts["post_id"],
            "cluster": [
                0 if p == "anna.cooks" else 1 if p == "ben_hikes" else -1 for p in posts["profile"]
            ],
            "probability": 0.8,
            "x": rng.normal(size=len(posts)),
            "y": rng.normal(size=len(posts)),
            "outlier_score": 0.1,
        }
    )
    _write_parquet(data / "07_model_output" / "post_clusters.parquet", post_clusters)
    user_clusters = pd.DataFrame(
        {
            "profile": PROFILES,
            "cluster": [0, 0, -1],
            "probability": [0.9, 0.7, 0.0],
            "x": [0.0, 1.0, 2.0],
            "y": [1.0, 0.0, 2.0],
        }
    )
    _write_parquet(data / "07_model_output" / "user_clusters.parquet", user_clusters)

    def card(cluster: int, size: int, label: str, exemplars: list[str]) -> dict:
        return {
            "cluster": cluster,
            "size": size,
            "label": label,
            "top_interests": {"food": 0.6, "travel": 0.2},
            "top_hashtags": ["tag0", "tag1"],
            "top_words": ["post", "friend"],
            "exemplars": exemplars,
        }

    _write_json(
        data / "08_reporting" / "cluster_profiles.json",
        {
            "posts": {
                "0": card(0, 4, "food lovers", ["ANNA0", "ANNA1"]),
                "1": card(1, 4, "hikers", ["BEN_0"]),
                "-1": card(-1, 4, "noise", []),
            },
            "users": {
                "0": card(0, 2, "outdoor foodies", ["anna.cooks", "ben_hikes"]),
                "-1": card(-1, 1, "noise", ["carla.sings"]),
            },
        },
    )

    def person(profile: str, cluster: int, circle: dict | None) -> dict:
        own = posts[posts["profile"] == profile]
        return {
            "profile": profile,
            "full_name": {"anna.cooks": "Anna Cooks", "ben_hikes": "Ben Hikes"}.get(profile),
            "interests": {"food": 0.7, "travel": 0.2, "music": 0.1},
            "persona": {
                "cluster": cluster,
                "probability": 0.9 if cluster >= 0 else 0.0,
                "label": "outdoor foodies" if cluster >= 0 else "noise",
            },
            "posting": {
                "posts": len(own),
                "posts_per_week": 7.0,
                "engagement_rate": None,
                "mean_caption_length": 25.0,
                "hashtags_per_post": 0.75,
                "carousel_share": 0.0,
                "video_share": 0.0,
                "caption_share": 0.75,
            },
            "representative_posts": [
                {
                    "post_id": r.post_id,
                    "image_path": r.image_path,
                    "caption": r.caption,
                    "generated_caption": "a generated caption",
                }
                for r in own.head(3).itertuples()
            ],
            "circle": circle,
        }

    side = {
        "n_downloaded": 2,
        "interests": {"food": 0.4, "music": 0.5},
        "clusters": {"0": 0.5, "-1": 0.5},
    }
    _write_json(
        data / "08_reporting" / "user_characterizations.json",
        {
            "anna.cooks": person(
                "anna.cooks",
                0,
                {
                    "followers": side,
                    "followees": side,
                    "similarity_to_followers": 0.62,
                    "similarity_to_followees": None,
                },
            ),
            "ben_hikes": person("ben_hikes", 0, None),
            "carla.sings": person("carla.sings", -1, None),
        },
    )
    return {"posts": posts, "post_clusters": post_clusters}


@pytest.fixture
def project_with_outputs(app_project: Path) -> Path:
    write_outputs(app_project)
    return app_project


def page_app(page: str) -> AppTest:
    """An AppTest running one page module of ``insta_kedro.app`` on its own."""
    return AppTest.from_string(
        f"from insta_kedro.app import {page}\n{page}.render()\n", default_timeout=120
    )


def texts(app: AppTest) -> str:
    """Everything the page wrote (markdown, info, warnings, errors, titles, metrics)."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "text",
    ):
        parts += [str(element.value) for element in getattr(app, kind)]
    parts += [f"{m.label} {m.value}" for m in app.metric]
    return "\n".join(parts)


@pytest.fixture
def run_page():
    """Run a page and fail on any exception it raised (a traceback is never acceptable)."""

    def run(page: str, app: AppTest | None = None) -> AppTest:
        app = page_app(page) if app is None else app  # an AppTest not yet run is falsy
        app.run()
        assert not app.exception, [e.value for e in app.exception]
        return app

    return run
