"""Try a photo: upload → VGG16 with the run's encoder → captions (greedy, beam, sampled)."""

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from insta_kedro.app.try_photo import read_image
from insta_kedro.captioning import CaptionVocabulary, build_caption_model
from tests.app.conftest import FEATURE_DIM, page_app, texts


def write_caption_model(project: Path) -> CaptionVocabulary:
    vocab = CaptionVocabulary(chars=tuple("abcde #"), min_char_count=1, max_len=12)
    (project / "data/05_model_input").mkdir(parents=True, exist_ok=True)
    (project / "data/05_model_input/caption_vocab.json").write_text(json.dumps(vocab.to_dict()))
    model = build_caption_model("merge", vocab.size, FEATURE_DIM, 8, 16, 16, 0.5)
    (project / "data/06_models").mkdir(parents=True, exist_ok=True)
    model.save(project / "data/06_models/caption_model.keras")
    return vocab


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (250, 120, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_read_image_rejects_what_is_not_an_image():
    assert read_image(png_bytes()).size == (64, 40)
    with pytest.raises(ValueError, match="not a known image format"):
        read_image(b"%PDF-1.4 not an image")
    with pytest.raises(ValueError):
        read_image(png_bytes()[:60])  # truncated


def test_read_image_refuses_an_image_over_the_decompression_bomb_limit(monkeypatch):
    # PIL refuses over twice MAX_IMAGE_PIXELS; a low limit stands in for a huge upload
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match="too large"):
        read_image(png_bytes())


def test_try_photo_without_outputs(app_project: Path, run_page):
    app = run_page("try_photo")
    assert "kedro run --pipelines=caption_model" in texts(app)
    assert not app.file_uploader


def test_try_photo_captions_an_upload(project_with_outputs: Path, run_page):
    vocab = write_caption_model(project_with_outputs)
    app = run_page("try_photo")
    assert "random VGG16 weights" in texts(app)

    app.file_uploader[0].set_value(("notes.jpg", b"just some text", "image/jpeg"))
    run_page("try_photo", app)
    assert "`notes.jpg` cannot be read as an image" in texts(app)
    assert not app.dataframe

    app.file_uploader[0].set_value(("sunset.png", png_bytes(), "image/png"))
    run_page("try_photo", app)
    captions = app.dataframe[0].value
    assert isinstance(captions, pd.DataFrame)
    assert captions["decoder"].tolist() == ["greedy", "beam search", "sampled"]
    allowed = set(vocab.chars) | {"\ufffd"}
    for caption in captions["caption"]:
        assert len(caption) <= vocab.max_len and set(caption) <= allowed
    # the crafted project has no fitted fusion model: the persona says which run makes it
    assert "`fusion_model` has not been made yet: run `kedro run --pipelines=fusion`" in texts(app)


def test_try_photo_refuses_features_of_another_encoder(project_with_outputs: Path, run_page):
    write_caption_model(project_with_outputs)
    path = project_with_outputs / "data/04_feature/image_features.parquet"
    features = pd.read_parquet(path)
    features["encoder"] = "vgg16-fc2-imagenet"
    features.to_parquet(path)
    app = run_page("try_photo", page_app("try_photo"))
    assert "were made with `vgg16-fc2-imagenet`" in texts(app)
    assert not app.file_uploader


def test_try_photo_after_a_run_that_did_not_train(project_with_outputs: Path, run_page):
    metrics = project_with_outputs / "data/08_reporting/caption_metrics.json"
    metrics.write_text(json.dumps({"trained": False, "not_trained_reason": "no photo"}))
    app = run_page("try_photo")
    assert "The caption model was not trained: no photo." in texts(app)
    assert not app.file_uploader
