"""Overview page: counts, ingestion report, output times, image weights."""

import json
from pathlib import Path

import pandas as pd

from insta_kedro.app.overview import image_weights_table
from insta_kedro.vision import NO_IMAGE
from tests.app.conftest import ORPHAN, spoil_column, texts


def test_overview_without_outputs_says_which_run_to_do(app_project: Path, run_page):
    app = run_page("overview")
    shown = texts(app)
    assert "kedro run --pipelines=ingestion" in shown
    assert "kedro run --pipelines=image_features" in shown
    outputs = app.dataframe[-1].value
    assert set(outputs["made"]) == {"no"}


def test_overview_with_outputs(project_with_outputs: Path, run_page):
    app = run_page("overview")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["posts"] == "12"
    assert metrics["profiles"] == "3"
    assert metrics["with caption"] == "9"
    assert any("random VGG16 weights" in w.value for w in app.warning)
    tables = [d.value for d in app.dataframe]
    ingestion = next(t for t in tables if "posts parsed" in t.columns)
    rows = ingestion.set_index("profile")
    assert rows.loc["ben_hikes", "skipped"] == "orphan_media: 1"
    assert rows.loc["ben_hikes", "warnings"] == "non_utf8_caption: 1"
    assert rows.loc["(all)", "skipped"] == "orphan_media: 1"
    skipped = next(t for t in tables if list(t.columns) == ["reason", "file"])
    assert skipped.to_dict("records") == [{"reason": "orphan_media", "file": f"ben_hikes/{ORPHAN}"}]
    outputs = tables[-1].set_index("output")
    assert outputs.loc["posts", "made"] == "yes" and outputs.loc["posts", "written (UTC)"]
    assert outputs.loc["caption_model", "made"] == "no"


def test_the_overview_reads_only_the_columns_it_counts(project_with_outputs: Path, run_page):
    data = project_with_outputs / "data"
    for column in ("caption", "hashtags", "mentions", "image_path"):
        spoil_column(data / "02_intermediate" / "posts.parquet", column)
    spoil_column(data / "02_intermediate" / "profiles.parquet", "biography")
    spoil_column(data / "04_feature" / "image_features.parquet", "feature")
    spoil_column(data / "07_model_output" / "generated_captions.parquet", "generated_caption")
    spoil_column(data / "07_model_output" / "user_clusters.parquet", "x")
    app = run_page("overview")
    assert "cannot be read" not in texts(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["posts"] == "12" and metrics["with caption"] == "9"
    assert metrics["profiles"] == "3" and metrics["image features"] == "12"
    assert metrics["generated captions"] == "12"
    assert metrics["personas (user clusters)"] == "1"


def test_counts_of_outputs_not_made_say_so(project_with_outputs: Path, run_page):
    (project_with_outputs / "data" / "02_intermediate" / "profiles.parquet").unlink()
    (project_with_outputs / "data" / "04_feature" / "image_features.parquet").unlink()
    metrics = {m.label: m.value for m in run_page("overview").metric}
    assert metrics["profiles"] == metrics["image features"] == "not made"
    assert metrics["posts"] == "12"


def test_image_weights_count_encoded_images_posts_without_one_and_failures():
    features = pd.DataFrame(
        {
            "encoder": ["vgg16-fc2-random"] * 4 + [None],
            "error": [None, None, NO_IMAGE, "cannot decode image", NO_IMAGE],
        }
    )
    table = image_weights_table(features).set_index("encoder")
    assert table.loc["vgg16-fc2-random"].to_dict() == {
        "images": 2,
        "no usable image": 1,
        "failed": 1,
    }
    assert table.loc["(none)"].to_dict() == {"images": 0, "no usable image": 1, "failed": 0}


def test_no_personas_says_why(project_with_outputs: Path, run_page):
    data = project_with_outputs / "data"
    users_path = data / "07_model_output" / "user_clusters.parquet"
    pd.read_parquet(users_path).assign(cluster=-1, probability=0.0).to_parquet(users_path)
    app = run_page("overview")
    assert {m.label: m.value for m in app.metric}["personas (user clusters)"] == "0"
    assert "No personas: every profile is noise to the clustering" in texts(app)

    reason = "3 points: fewer than HDBSCAN needs to find a cluster"
    profiles_path = data / "08_reporting" / "cluster_profiles.json"
    profiles = json.loads(profiles_path.read_text())
    profiles["users"] = {
        "-1": {"cluster": -1, "size": 3, "label": "not clustered", "skipped": reason}
    }
    profiles_path.write_text(json.dumps(profiles))
    assert f"No personas: {reason}." in texts(run_page("overview"))
