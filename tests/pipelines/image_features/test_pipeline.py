"""The image_features pipeline reads posts and writes the two contract datasets."""

import pandas as pd
from PIL import Image

from insta_kedro.pipelines.image_features import create_pipeline
from insta_kedro.vision import NO_IMAGE


def test_pipeline_reads_posts_and_writes_features_and_labels():
    pipeline = create_pipeline()
    assert pipeline.inputs() == {"posts", "params:image_features", "params:engine"}
    assert pipeline.outputs() == {"image_features", "image_labels"}


def test_kedro_run_writes_the_contract_datasets(run_kedro, kedro_project):
    Image.new("RGB", (240, 300), (30, 140, 90)).save(kedro_project / "green.jpg")
    posts_file = kedro_project / "data" / "02_intermediate" / "posts.parquet"
    posts_file.parent.mkdir(parents=True)
    pd.DataFrame(
        {"post_id": ["a", "b"], "image_path": [str(kedro_project / "green.jpg"), None]}
    ).to_parquet(posts_file)

    overrides = {"weights": None, "layer": "pool", "precision": "float32"}
    run_kedro(["image_features"], params={"image_features": overrides})

    features = pd.read_parquet(kedro_project / "data" / "04_feature" / "image_features.parquet")
    assert list(features.columns) == ["post_id", "image_sha256", "feature", "encoder", "error"]
    assert len(features.loc[0, "feature"]) == 512
    assert features["error"].tolist() == [None, NO_IMAGE]
    assert set(features["encoder"]) == {"vgg16-pool-random"}
    labels = pd.read_parquet(kedro_project / "data" / "04_feature" / "image_labels.parquet")
    assert labels.empty and list(labels.columns) == ["post_id", "rank", "label", "probability"]
    assert list((kedro_project / "data" / "04_feature" / "image_feature_cache").iterdir())
