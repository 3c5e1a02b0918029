"""The ingestion pipeline run in a real KedroSession on a temporary project."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

POST_COLUMNS = [
    "post_id",
    "profile",
    "taken_at",
    "caption",
    "has_caption",
    "hashtags",
    "mentions",
    "likes",
    "comments",
    "typename",
    "is_video",
    "n_media",
    "image_path",
    "accessibility_caption",
]


def _load_outputs(project: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    posts = pd.read_parquet(project / "data/02_intermediate/posts.parquet")
    profiles = pd.read_parquet(project / "data/02_intermediate/profiles.parquet")
    follows = pd.read_parquet(project / "data/02_intermediate/follows.parquet")
    report = json.loads((project / "data/08_reporting/ingestion_report.json").read_text())
    return posts, profiles, follows, report


def test_folder_source_on_real_download(run_kedro, kedro_project, shared_instagram_dl):
    run_kedro(
        ["ingestion"],
        {"ingestion": {"source": "folder", "folder": str(shared_instagram_dl)}},
    )
    posts, profiles, _, report = _load_outputs(kedro_project)

    assert list(posts.columns) == POST_COLUMNS
    assert posts["post_id"].is_unique
    counts = posts.groupby("profile").agg(n=("post_id", "size"), captioned=("has_caption", "sum"))
    assert counts.loc["kyliejenner"].tolist() == [87, 85]
    assert counts.loc["therock"].tolist() == [45, 45]
    carousels = posts[posts["typename"] == "GraphSidecar"]
    assert len(carousels) > 0
    assert carousels["image_path"].str.endswith("_1.jpg").all()
    assert set(profiles["profile"]) == {"kyliejenner", "therock"}

    assert report["source"] == "folder"
    for name in ("kyliejenner", "therock"):
        entry = report["profiles"][name]
        files_on_disk = sum(1 for p in (shared_instagram_dl / name).iterdir() if p.is_file())
        assert entry["files_seen"] == files_on_disk
        assert entry["files_seen"] == (
            entry["files_parsed"]
            + sum(entry["ignored_files"].values())
            + sum(entry["skipped"].values())
        )
    demo_themes = json.loads((kedro_project / "data/01_raw/demo_themes.json").read_text())
    assert demo_themes == {}


def test_demo_source_is_the_default(run_kedro, kedro_project):
    run_kedro(["ingestion"])
    posts, profiles, follows, report = _load_outputs(kedro_project)

    assert report["source"] == "demo"
    assert len(posts) >= 360
    assert posts["profile"].nunique() >= 12
    assert len(profiles) >= 12
    assert len(follows) > 0
    assert report["totals"]["skipped"] == {} or sum(report["totals"]["skipped"].values()) == 0
    themes = json.loads((kedro_project / "data/01_raw/demo_themes.json").read_text())
    assert set(themes["profiles"]) == set(posts["profile"])
    assert len(set(themes["profiles"].values())) >= 4


def test_missing_folder_names_the_path(run_kedro, kedro_project, tmp_path):
    missing = tmp_path / "no-such-download"
    with pytest.raises(Exception, match="no-such-download"):
        run_kedro(["ingestion"], {"ingestion": {"source": "folder", "folder": str(missing)}})


def test_each_run_records_what_it_ingested_in_mlflow(run_kedro, kedro_project, tmp_path):
    """Two runs on a download that lost an account: their MLflow runs tell them apart."""
    import mlflow

    from insta_kedro.ingestion import write_demo_download

    download = tmp_path / "download"
    write_demo_download(download, n_profiles=3, posts_per_profile=4, image_size=32)
    params = {"ingestion": {"source": "folder", "folder": str(download)}}
    run_kedro(["ingestion"], params)
    removed = sorted(p.name for p in download.iterdir() if p.is_dir())[0]
    shutil.rmtree(download / removed)
    run_kedro(["ingestion"], params)

    client = mlflow.MlflowClient()
    runs = mlflow.search_runs(experiment_names=["insta_kedro"], output_format="list")
    second, first = sorted(runs, key=lambda run: run.info.start_time, reverse=True)
    for run, profiles in ((first, 3), (second, 2)):
        assert run.data.metrics["ingestion.profiles"] == profiles
        assert run.data.metrics["ingestion.posts"] == profiles * 4
        report = json.loads(
            Path(
                client.download_artifacts(run.info.run_id, "ingestion/ingestion_report.json")
            ).read_text()
        )
        assert len(report["profiles"]) == profiles
        assert (removed in report["profiles"]) == (run is first)
