"""The app's read-only view of the catalog: paths, existence, messages, image roots."""

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from insta_kedro.app.catalog_reader import (
    APP_OUTPUTS,
    CatalogReader,
    OutputMissingError,
    UnsafePathError,
    find_project_path,
)
from insta_kedro.vision import encoder_options, resolve_encoder_spec
from tests.app.conftest import spoil_column


def test_missing_output_names_the_run_that_makes_it(app_project: Path):
    reader = CatalogReader(app_project)
    assert not reader.exists("posts")
    with pytest.raises(OutputMissingError, match=r"kedro run --pipelines=ingestion"):
        reader.load("posts")
    # an optional dataset's empty default does not count as made
    assert not reader.exists("generated_captions")
    with pytest.raises(OutputMissingError, match=r"--pipelines=caption_model"):
        reader.load("generated_captions")


def test_missing_lists_the_app_s_outputs_whose_file_is_not_there(project_with_outputs: Path):
    reader = CatalogReader(project_with_outputs)
    made = [name for name in APP_OUTPUTS if name not in reader.missing()]
    assert "posts" in made and "user_characterizations" in made
    reader.path("posts").unlink()
    assert reader.missing() == [name for name in APP_OUTPUTS if name not in made or name == "posts"]
    assert reader.missing(["posts", "follows", "posts"])[0] == "posts"


def test_nothing_made_yet_every_app_output_is_missing(app_project: Path):
    assert CatalogReader(app_project).missing() == list(APP_OUTPUTS)


def test_a_damaged_output_says_it_cannot_be_read_and_which_run_remakes_it(
    project_with_outputs: Path,
):
    reader = CatalogReader(project_with_outputs)
    path = reader.path("user_characterizations")
    path.write_text(path.read_text(encoding="utf-8")[:40], encoding="utf-8")
    with pytest.raises(OutputMissingError, match=r"cannot be read .*--pipelines=clustering"):
        reader.load("user_characterizations")


def test_columns_of_a_table_are_read_alone_and_a_lacking_one_is_said(
    project_with_outputs: Path,
):
    reader = CatalogReader(project_with_outputs)
    spoil_column(reader.path("posts"), "caption")
    posts = reader.load_columns("posts", ["post_id", "has_caption"])
    assert list(posts.columns) == ["post_id", "has_caption"] and len(posts) == 12
    features = reader.load_columns("image_features", ["encoder", "error"])  # a lazy table
    assert list(features.columns) == ["encoder", "error"] and len(features) == 12
    with pytest.raises(OutputMissingError, match=r"cannot be read .*--pipelines=ingestion"):
        reader.load_columns("posts", ["caption"])
    with pytest.raises(OutputMissingError, match=r"cannot be read \(it has no column colour\)"):
        reader.load_columns("image_features", ["encoder", "colour"])
    with pytest.raises(OutputMissingError, match=r"cannot be read"):
        reader.load_columns("profiles", ["profile", "colour"])
    reader.path("posts").unlink()
    with pytest.raises(OutputMissingError, match=r"has not been made yet"):
        reader.load_columns("posts", ["post_id"])


def test_loads_outputs_with_paths_anchored_to_the_project(
    project_with_outputs: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative catalog paths must not follow the working directory
    reader = CatalogReader(project_with_outputs)
    posts = reader.load("posts")
    assert isinstance(posts, pd.DataFrame) and len(posts) == 12
    assert reader.path("posts") == project_with_outputs / "data/02_intermediate/posts.parquet"
    assert reader.modified("posts") is not None
    statuses = {s.dataset: s for s in reader.status(["posts", "caption_model"])}
    assert statuses["posts"].exists and statuses["posts"].pipeline == "ingestion"
    assert not statuses["caption_model"].exists and statuses["caption_model"].modified is None


def test_images_are_served_only_from_the_data_or_ingested_folder(
    project_with_outputs: Path, tmp_path: Path
):
    reader = CatalogReader(project_with_outputs)
    image = reader.load("posts")["image_path"].iloc[0]
    assert reader.safe_image_path(image) == (project_with_outputs / image).resolve()
    outside = tmp_path / "outside.jpg"
    outside.write_bytes((project_with_outputs / image).read_bytes())
    assert reader.safe_image_path(str(outside)) is None
    assert reader.safe_image_path("data/../../outside.jpg") is None
    assert reader.safe_image_path(str(project_with_outputs / "pyproject.toml")) is None
    assert reader.safe_image_path(None) is None


def test_an_image_path_that_leaves_the_data_folders_is_refused_with_the_reason(
    project_with_outputs: Path, tmp_path: Path
):
    reader = CatalogReader(project_with_outputs)
    image = reader.load("posts")["image_path"].iloc[0]
    outside = tmp_path / "outside.jpg"
    outside.write_bytes((project_with_outputs / image).read_bytes())
    inside_link = project_with_outputs / "data/link.jpg"
    inside_link.symlink_to(outside)
    (project_with_outputs / "data/loop.jpg").symlink_to(project_with_outputs / "data/loop.jpg")
    reasons = {
        "data/../../outside.jpg": "outside the project's data/ folder",
        str(outside): "outside the project's data/ folder",
        "data/link.jpg": "outside the project's data/ folder",  # a link out is not followed
        "data/a\x00.jpg": "contains a NUL byte",
        "data/" + "x" * 2000 + ".jpg": "is 2,009 characters long, over 1,024",
        "data/" + "x" * 300 + ".jpg": "cannot be resolved",
        "data/loop.jpg": "cannot be resolved",
        "data/missing.jpg": "not there",
        "/etc/passwd": "does not end in an image type",
        "": "no image path",
        float("nan"): "no image path",  # a missing value in a parquet column
    }
    for value, reason in reasons.items():
        with pytest.raises(UnsafePathError, match=reason):
            reader.resolve_image_path(value)
        assert reader.safe_image_path(value) is None
    # a link that stays inside the folder is followed
    (project_with_outputs / "data/inside.jpg").symlink_to(project_with_outputs / image)
    assert reader.resolve_image_path("data/inside.jpg") == (project_with_outputs / image).resolve()


def test_project_path_from_environment_or_working_directory(
    app_project: Path, monkeypatch: pytest.MonkeyPatch
):
    assert find_project_path() == app_project.resolve()
    monkeypatch.delenv("INSTA_KEDRO_PROJECT_PATH")
    assert find_project_path(app_project / "data") == app_project.resolve()


def test_a_relative_weights_file_is_the_projects_from_any_working_folder(
    app_project: Path, monkeypatch: pytest.MonkeyPatch
):
    """`image_features.weights: models/vgg16.h5` with the app started in `notebooks/`: Try a
    photo resolves the project's file, as the run that made the features did, not random
    weights that the caption model was not trained on."""
    weights = app_project / "models" / "vgg16.h5"
    weights.parent.mkdir()
    weights.write_bytes(b"weights of the run")
    local = app_project / "conf/local/parameters_app_test.yml"
    local.write_text(local.read_text().replace("weights: null", "weights: models/vgg16.h5"))
    notebooks = app_project / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)

    params = CatalogReader(app_project).params["image_features"]

    spec = resolve_encoder_spec(**encoder_options(params))
    assert (spec.weights, spec.weights_path) == ("file", str(weights.resolve()))


def test_mlflow_uri_defaults_to_the_project_database(app_project: Path, monkeypatch):
    reader = CatalogReader(app_project)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert reader.mlflow_tracking_uri() == f"sqlite:///{app_project.resolve()}/mlflow.db"


def test_mlflow_uri_follows_the_environment_like_kedro_mlflow(app_project: Path, monkeypatch):
    reader = CatalogReader(app_project)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert reader.mlflow_tracking_uri() == "http://127.0.0.1:5000"


def test_a_damaged_ingestion_report_leaves_the_data_folder_s_images(project_with_outputs: Path):
    reader = CatalogReader(project_with_outputs)
    reader.path("ingestion_report").write_text('{"source": "fol', encoding="utf-8")
    assert reader.image_roots() == [(project_with_outputs / "data").resolve()]
    image = reader.load("posts")["image_path"].iloc[0]
    assert reader.safe_image_path(image) == (project_with_outputs / image).resolve()


def _report_naming(project: Path, folder: object) -> None:
    """An ingestion report saying the last ingestion read ``folder``."""
    report = project / "data/08_reporting/ingestion_report.json"
    named = str(folder) if isinstance(folder, Path) else folder
    report.write_text(json.dumps({"source": "folder", "folder": named, "profiles": {}}))


def test_images_of_the_folder_the_last_ingestion_read_are_served(
    project_with_outputs: Path, tmp_path: Path
):
    reader = CatalogReader(project_with_outputs)
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        Image.new("RGB", (8, 8)).save(folder / "photo.jpg")
    _report_naming(project_with_outputs, first)
    assert reader.safe_image_path(str(first / "photo.jpg")) == (first / "photo.jpg").resolve()
    assert reader.safe_image_path(str(second / "photo.jpg")) is None
    _report_naming(project_with_outputs, second)  # a new run, on another folder
    assert reader.safe_image_path(str(first / "photo.jpg")) is None
    assert reader.safe_image_path(str(second / "photo.jpg")) == (second / "photo.jpg").resolve()


def test_the_ingestion_report_is_read_once_for_many_images(
    project_with_outputs: Path, caplog: pytest.LogCaptureFixture
):
    reader = CatalogReader(project_with_outputs)
    images = reader.load("posts")["image_path"].tolist()
    with caplog.at_level(logging.INFO, logger="kedro"):
        for image in images:
            assert reader.safe_image_path(image) is not None
    loads = [r for r in caplog.records if "Loading data from ingestion_report" in r.getMessage()]
    assert len(images) == 12 and len(loads) == 1


@pytest.mark.parametrize("source", ["demo", "instaloader"])
def test_images_of_a_demo_or_live_download_outside_data_are_served(
    project_with_outputs: Path, tmp_path: Path, source: str
):
    """`ingestion.demo_folder` or `ingestion.instagram_folder` set outside data/ (a bigger
    disk): the app showed none of the download's images, saying they lay outside the
    ingested folder."""
    download = tmp_path / "downloads" / "anna.cooks"
    download.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(download / "photo.jpg")
    report = project_with_outputs / "data/08_reporting/ingestion_report.json"
    report.write_text(json.dumps({"source": source, "folder": str(download.parent)}))
    reader = CatalogReader(project_with_outputs)
    photo = str(download / "photo.jpg")
    assert reader.resolve_image_path(photo) == (download / "photo.jpg").resolve()


def test_the_folder_parameter_does_not_widen_the_served_folders(
    project_with_outputs: Path, tmp_path: Path
):
    """`ingestion.folder` left in conf/local from an earlier run while the last ingestion read
    the demo: its images are of no output shown, and are not served."""
    earlier = tmp_path / "earlier_download"
    earlier.mkdir()
    Image.new("RGB", (8, 8)).save(earlier / "photo.jpg")
    (project_with_outputs / "conf/local/parameters_ingestion.yml").write_text(
        f"ingestion:\n  folder: {earlier}\n"
    )
    reader = CatalogReader(project_with_outputs)
    assert reader.params["ingestion"]["folder"] == str(earlier)
    assert reader.image_roots() == [(project_with_outputs / "data").resolve()]
    with pytest.raises(UnsafePathError, match="outside the project's data/ folder"):
        reader.resolve_image_path(str(earlier / "photo.jpg"))


def test_a_report_s_folder_is_taken_from_the_project_root_and_a_bad_one_ignored(
    project_with_outputs: Path,
):
    reader = CatalogReader(project_with_outputs)
    data = (project_with_outputs / "data").resolve()
    report = reader.path("ingestion_report")
    for second, (folder, roots) in enumerate(
        [
            ("downloads/insta", [data, (project_with_outputs / "downloads/insta").resolve()]),
            ("a\0b", [data]),
            (["not", "a", "path"], [data]),
            ("", [data]),
        ]
    ):
        _report_naming(project_with_outputs, folder)
        written = report.stat().st_mtime_ns + second * 10**9
        os.utime(report, ns=(written, written))  # a run a second later
        assert reader.image_roots() == roots, folder
