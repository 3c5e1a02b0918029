"""Try a photo: upload → VGG16 with the run's encoder → captions (greedy, beam, sampled)."""

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from PIL import Image, ImageFile

from insta_kedro.app.images import NotAnImageError, TooManyPixelsError
from insta_kedro.app.try_photo import (
    DEFAULT_MAX_UPLOAD_MB,
    MB,
    read_image,
    server_cap_note,
    upload_limit_mb,
)
from insta_kedro.captioning import CaptionVocabulary, build_caption_model
from tests.app.conftest import FEATURE_DIM, bomb_png, page_app, texts

PROJECT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


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


def tiff_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="TIFF")
    return buffer.getvalue()


def test_read_image_goes_by_content_not_by_name():
    assert read_image(png_bytes()).size == (64, 40)  # whatever the upload is called
    for data in (PDF, b"just some text", tiff_bytes()):  # TIFF: Pillow reads it, the page not
        with pytest.raises(NotAnImageError, match="not a known image format"):
            read_image(data)


def test_read_image_never_decodes_a_decompression_bomb(monkeypatch):
    def decode(_image):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    # over MAX_IMAGE_PIXELS (Pillow only warns) and over twice it (Pillow refuses)
    for width, height in ((10_000, 10_000), (40_000, 40_000)):
        with pytest.raises(TooManyPixelsError, match="MAX_IMAGE_PIXELS.*not decoded"):
            read_image(bomb_png(width, height))


def test_the_upload_limit_is_a_parameter_with_20_mb_by_default():
    shipped = yaml.safe_load((PROJECT / "conf/base/parameters_app.yml").read_text())
    assert shipped == {"app": {"max_upload_mb": 20}}
    assert upload_limit_mb(shipped) == (20.0, None)
    assert upload_limit_mb({}) == (DEFAULT_MAX_UPLOAD_MB, None) == (20.0, None)
    assert upload_limit_mb({"app": {}}) == (20.0, None)
    assert upload_limit_mb({"app": {"max_upload_mb": 0.5}}) == (0.5, None)
    for bad in ("lots", -1, 0, True, None, float("nan")):
        limit, problem = upload_limit_mb({"app": {"max_upload_mb": bad}})
        assert limit == 20.0 and "`app.max_upload_mb`" in problem
    for bad in ("lots", -1, True, [20]):  # `app:` itself no mapping
        limit, problem = upload_limit_mb({"app": bad})
        assert limit == 20.0 and "`app.max_upload_mb`" in problem
        assert "conf/local/parameters_app.yml" in problem
    # Streamlit's own cap (server.maxUploadSize, 200 MB by default) is named when it is lower
    assert server_cap_note(20) is None
    assert "server.maxUploadSize" in server_cap_note(500)


def test_try_photo_refuses_bad_uploads_and_still_captions_a_good_one(
    project_with_outputs: Path, run_page
):
    write_caption_model(project_with_outputs)
    app = run_page("try_photo")
    assert app.file_uploader[0].proto.max_upload_size_mb == 20  # Streamlit's check, too
    bad_uploads = {
        # over app.max_upload_mb, though an image: the size is checked before the content
        ("big.png", png_bytes() + bytes(20 * MB), "image/png"): (
            f"`big.png` is 20.0 MB ({20 * MB + len(png_bytes()):,} bytes), over the 20 MB this",
            "raise `app.max_upload_mb` in `conf/local/parameters_app.yml`",
        ),
        ("bomb.png", bomb_png(40_000, 40_000), "image/png"): (
            "`bomb.png` is too large to decode safely: it declares 1,600,000,000 pixels",
            "`PIL.Image.MAX_IMAGE_PIXELS`",
        ),
        ("scan.jpg", PDF, "image/jpeg"): (
            "`scan.jpg` cannot be read as an image: not a known image format",
        ),
        ("a\x00`b" + "x" * 300 + ".jpg", b"text", "image/jpeg"): (
            "`a\\x00'bxxx",
            "(308 characters)` cannot be read as an image",
        ),
    }
    for upload, messages in bad_uploads.items():
        app.file_uploader[0].set_value(upload)
        run_page("try_photo", app)
        errors = "\n".join(e.value for e in app.error)
        for message in messages:
            assert message in errors, (upload[0][:20], errors)
        assert not app.dataframe and not app.image

    app.file_uploader[0].set_value(("photo.jpg", png_bytes(), "image/jpeg"))  # a PNG named .jpg
    run_page("try_photo", app)
    assert not app.error
    assert app.dataframe[0].value["decoder"].tolist() == ["greedy", "beam search", "sampled"]


def test_try_photo_limit_follows_the_project_parameters(project_with_outputs: Path, run_page):
    write_caption_model(project_with_outputs)
    (project_with_outputs / "conf/local/parameters_app.yml").write_text(
        "app:\n  max_upload_mb: 1\n"
    )
    app = run_page("try_photo")
    assert app.file_uploader[0].proto.max_upload_size_mb == 1
    app.file_uploader[0].set_value(("big.png", png_bytes() + bytes(MB), "image/png"))
    run_page("try_photo", app)
    assert "`big.png` is 1.0 MB (" in texts(app)
    assert "bytes), over the 1 MB this page accepts" in texts(app)
    # the page is still up: a small file gets past the size check to the content check
    app.file_uploader[0].set_value(("notes.png", b"just some text", "image/png"))
    run_page("try_photo", app)
    assert "`notes.png` cannot be read as an image" in texts(app)
    assert "MB, over the" not in texts(app)


def test_once_the_caption_model_is_loaded_what_is_alive_is_frozen(
    project_with_outputs: Path, run_page
):
    """The page imports Keras with its models (the other pages never do): what is alive then
    is left out of the garbage collector's walks, which Streamlit runs after every click."""
    import gc

    import streamlit as st

    write_caption_model(project_with_outputs)
    st.cache_resource.clear()  # as in a new server process
    alive = [{"loaded": "model"}]  # a container the collector tracks
    run_page("try_photo")
    assert not any(tracked is alive for tracked in gc.get_objects())
