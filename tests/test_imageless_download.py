"""An image-less download (``instaloader --no-pictures``) through the default pipeline.

Every post has its caption and no photo (or only a corrupt one): the caption model cannot
train. The whole ``kedro run`` still goes through, and its outputs say that the caption model
did not train and why, with no generated caption, and characterize every profile from its
captions. A download without any post (private accounts, empty folders) goes through too.
"""

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.contracts import GENERATED_CAPTIONS_COLUMNS
from tests.ingestion.test_folder import graphql_node, write_json_xz

DAY = 86_400
FIRST_POST = 1_546_344_000  # 2019-01-01 12:00:00 UTC
CAPTIONS = {
    "anna.cooks": [
        "Homemade pasta with basil and tomatoes #food #cooking",
        "Sunday brunch: pancakes, berries and coffee #brunch",
        "Baking sourdough bread again #baking #food",
        "Spicy ramen night with friends #ramen",
        "Fresh salad from the market #healthyfood",
    ],
    "ben_hikes": [
        "Summit at sunrise, worth every step #hiking #mountains",
        "Trail running through the forest #trailrun",
        "Camping under the stars by the lake #camping",
        "Snow on the ridge this morning #alps #hiking",
        "New boots, long trail ahead #outdoors",
    ],
    "carla.sings": [
        "Live tonight at the jazz club #music #jazz",
        "Studio day: recording the new single #newmusic",
        "Guitar practice before the concert #guitar",
        "Thank you for singing along last night! #concert",
        "",  # a post without caption
    ],
}


def write_no_pictures_download(root: Path, corrupt_pictures: bool = False) -> Path:
    """One folder per profile with, per post, the ``.json.xz`` metadata and the ``.txt``
    caption that ``instaloader --no-pictures`` writes, and no image (``corrupt_pictures``: a
    ``.jpg`` that is no image)."""
    for profile, captions in CAPTIONS.items():
        folder = root / profile
        folder.mkdir(parents=True)
        for i, caption in enumerate(captions):
            timestamp = FIRST_POST + i * DAY
            stem = pd.Timestamp(timestamp, unit="s").strftime("%Y-%m-%d_%H-%M-%S_UTC")
            node = graphql_node(f"{profile[:4].upper()}{i:07d}", timestamp, caption or None)
            node["owner"] = {"id": str(100 + len(profile)), "username": profile}
            write_json_xz(folder / f"{stem}.json.xz", node)
            if caption:
                (folder / f"{stem}.txt").write_text(caption, encoding="utf-8")
            if corrupt_pictures:
                (folder / f"{stem}.jpg").write_bytes(b"\xff\xd8\xff not a JPEG after all")
    return root


@pytest.mark.parametrize("corrupt_pictures", [False, True], ids=["no_pictures", "corrupt"])
def test_an_imageless_download_runs_through_the_default_pipeline(
    kedro_project: Path, run_kedro, tmp_path: Path, corrupt_pictures: bool
):
    download = write_no_pictures_download(tmp_path / "download", corrupt_pictures)

    run_kedro(params={"ingestion": {"source": "folder", "folder": str(download)}})

    data = kedro_project / "data"
    metrics = json.loads((data / "08_reporting/caption_metrics.json").read_text())
    assert metrics["trained"] is False
    reason = metrics["not_trained_reason"]
    assert reason.startswith("0 captioned post(s) with a usable image feature, fewer than")
    assert "15 posts; 14 with a caption; 0 with a usable image feature" in reason
    assert "image_feature_error: 15" in reason
    assert metrics["data"]["n_captioned"] == 14
    assert not (data / "06_models/caption_model.keras").exists()
    image_features = pd.read_parquet(data / "04_feature/image_features.parquet")
    assert image_features["feature"].isna().all()
    # without any usable image file, VGG16 is neither fetched nor loaded: no encoder is named
    assert image_features["encoder"].isna().all()

    generated = pd.read_parquet(data / "07_model_output/generated_captions.parquet")
    assert generated.empty
    assert list(generated.columns) == GENERATED_CAPTIONS_COLUMNS

    text_report = json.loads((data / "08_reporting/text_features_report.json").read_text())
    assert text_report["generated_captions"]["present"] == 0
    fusion_report = json.loads((data / "08_reporting/fusion_report.json").read_text())
    blocks = json.dumps(fusion_report)
    assert "gen_text" in blocks and "no generated captions" in blocks

    characterizations = json.loads((data / "08_reporting/user_characterizations.json").read_text())
    assert set(characterizations) == set(CAPTIONS)

    client = MlflowClient()
    (run,) = client.search_runs([client.get_experiment_by_name("insta_kedro").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.tags["caption_model.trained"] == "False"
    assert run.data.tags["caption_model.not_trained_reason"] == reason


def test_a_download_without_any_post_characterizes_each_profile_as_without_posts(
    kedro_project: Path, run_kedro, tmp_path: Path
):
    # a private account (its profile metadata only) and an empty profile folder
    download = tmp_path / "download"
    (download / "hidden").mkdir(parents=True)
    node = {"username": "hidden", "id": "7", "is_private": True, "edge_followed_by": {"count": 3}}
    write_json_xz(download / "hidden" / "hidden_7.json.xz", node, node_type="Profile")
    (download / "nobody").mkdir()

    run_kedro(params={"ingestion": {"source": "folder", "folder": str(download)}})

    data = kedro_project / "data"
    users = pd.read_parquet(data / "04_feature/user_features.parquet")
    assert users.empty and {"profile", "feature", "persona_feature"} <= set(users.columns)
    characterizations = json.loads((data / "08_reporting/user_characterizations.json").read_text())
    assert set(characterizations) == {"hidden", "nobody"}
    assert {c["persona"]["label"] for c in characterizations.values()} == {"no posts"}
    assert characterizations["hidden"]["is_private"] is True
    assert json.loads((data / "08_reporting/cluster_profiles.json").read_text()) == {
        "posts": {},
        "users": {},
    }
