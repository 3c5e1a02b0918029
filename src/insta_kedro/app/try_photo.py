"""Try a photo: an uploaded image → captions of the trained model and the persona it joins.

The only page that computes: the uploaded image goes through VGG16 with the run's encoder
configuration (``image_features`` parameters, ``insta_kedro.vision.encoder_spec``), then the trained
``caption_model`` (greedy, beam and sampled decoding) and the fitted fusion and clusterer
(``insta_kedro.personas.assignment``). Nothing is trained and nothing is saved.
"""

import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image, UnidentifiedImageError

from insta_kedro.app.components import RANDOM_WEIGHTS_WARNING, load_output, reader
from insta_kedro.captioning import CaptionVocabulary, build_step_model, decode_captions
from insta_kedro.personas import NOT_CLUSTERED_LABEL, assign_new_posts
from insta_kedro.vision import (
    EncoderSpec,
    ImageEncoder,
    encode_images,
    encoder_options,
    load_encoder,
    resolve_encoder_spec,
)

DECODERS = {"greedy": "greedy", "beam": "beam search", "sample": "sampled"}
NOT_AN_IMAGE = "`{name}` cannot be read as an image: {error}. Upload a JPEG, PNG, WebP, GIF or BMP."


def read_image(data: bytes) -> Image.Image:
    """The uploaded bytes as an RGB image; ``ValueError`` when they are not an image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError as error:
        raise ValueError(f"too large to decode safely ({error})") from error
    except UnidentifiedImageError as error:
        raise ValueError("not a known image format") from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(str(error) or type(error).__name__) from error
    return image.convert("RGB")


def run_encoder_spec(image_features_params: dict[str, Any]) -> EncoderSpec:
    """The encoder the run's ``image_features`` parameters resolve to on this machine."""
    return _resolved_spec(tuple(sorted(encoder_options(image_features_params).items())))


@st.cache_resource(show_spinner="Resolving the VGG16 weights…")
def _resolved_spec(options: tuple) -> EncoderSpec:
    # Once per configuration: resolving may download the weights and checks their hash.
    return resolve_encoder_spec(**dict(options))


@st.cache_resource(show_spinner="Loading VGG16…")
def cached_encoder(spec: EncoderSpec) -> ImageEncoder:
    return load_encoder(spec)


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_step_model(modified_ns: int, _model):
    return build_step_model(_model)


def encode_photo(image: Image.Image, encoder: ImageEncoder) -> tuple[np.ndarray, list]:
    """VGG16 feature of one image and its top-k ImageNet labels ``[(label, prob), ...]``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.png"
        image.save(path)
        encoded = encode_images([str(path)], encoder, batch_size=1)
    if encoded.errors[0]:
        raise ValueError(encoded.errors[0])
    labels = []
    if encoded.labels is not None:
        labels = [
            (label, float(p))
            for label, p in zip(encoded.labels[0], encoded.probabilities[0], strict=True)
        ]
    return encoded.features[0], labels


def caption_photo(step_model, feature: np.ndarray, vocab: CaptionVocabulary, params: dict):
    """``{decoder: (caption, mean log-prob)}`` for greedy, beam and sampled decoding."""
    out = {}
    for decoder in DECODERS:
        result = decode_captions(
            step_model,
            feature[None, :],
            vocab.max_len,
            decoder,
            temperature=params.get("temperature", 1.0),
            top_p=params.get("top_p", 1.0),
            beam_width=params.get("beam_width", 3),
            seed=params.get("seed", 0),
        )[0]
        out[decoder] = (vocab.decode(result.tokens), result.mean_log_prob)
    return out


def persona_of_photo(
    feature: np.ndarray, caption: str, generated: tuple[str, float], labels: list
) -> pd.Series | None:
    """The post cluster the photo would join (``cluster``, ``probability``, ``top_interest``)
    with the fitted fusion model and post clusterer; None after saying which is missing."""
    fusion_model = load_output("fusion_model")
    post_clusterer = load_output("post_clusterer")
    if fusion_model is None or post_clusterer is None:
        return None
    rows = pd.DataFrame(
        {
            "post_id": ["uploaded-photo"],
            "image_feature": [feature.astype(np.float32)],
            "caption": [caption],
            "generated_caption": [generated[0]],
            "generated_mean_log_prob": [generated[1]],
            "image_labels": [labels],
        }
    )
    return assign_new_posts(rows, fusion_model, post_clusterer).iloc[0]


def render() -> None:
    st.title("Try a photo")
    st.write(
        "Upload a photo: VGG16 (with the run's encoder configuration) describes it, the trained "
        "caption model writes captions for it, and the fitted clusterer says which persona's "
        "posts it is like. Nothing is trained or saved."
    )
    metrics = load_output("caption_metrics", show_missing=False)
    if metrics is not None and metrics.get("trained") is False:
        st.info(
            f"The caption model was not trained: {metrics.get('not_trained_reason')}. There is "
            "no model to caption a photo with.",
            icon="ℹ️",
        )
        return
    loaded = [load_output(name) for name in ("caption_model", "caption_vocab", "image_features")]
    if any(value is None for value in loaded):
        return
    model, vocab_dict, image_features = loaded
    catalog = reader()
    spec = run_encoder_spec(catalog.params.get("image_features") or {})
    run_encoders = sorted(image_features["encoder"].dropna().unique().tolist())
    if run_encoders and spec.name not in run_encoders:
        st.error(
            f"The run's image features were made with `{', '.join(run_encoders)}`, but the "
            f"`image_features` parameters give `{spec.name}` here: the caption model would see "
            "features it was not trained on. Run `kedro run` again with these parameters."
        )
        return
    if not spec.has_labels:
        st.warning(RANDOM_WEIGHTS_WARNING.format(encoder=spec.name), icon="⚠️")

    upload = st.file_uploader("A photo (JPEG, PNG, WebP…)")
    caption = st.text_input("Your caption for it (optional; used for the persona)")
    if upload is None:
        return
    try:
        image = read_image(upload.getvalue())
    except ValueError as error:
        st.error(NOT_AN_IMAGE.format(name=upload.name, error=error))
        return

    left, right = st.columns([1, 2])
    left.image(image, caption=upload.name, width="stretch")
    with right, st.spinner("Encoding and captioning…"):
        feature, labels = encode_photo(image, cached_encoder(spec))
        step_model = cached_step_model(catalog.path("caption_model").stat().st_mtime_ns, model)
        vocab = CaptionVocabulary.from_dict(vocab_dict)
        params = catalog.params.get("caption_model") or {}
        captions = caption_photo(step_model, feature, vocab, params)
        st.subheader("Generated captions")
        st.dataframe(
            pd.DataFrame(
                [
                    {"decoder": DECODERS[d], "caption": text, "mean log-prob": round(lp, 3)}
                    for d, (text, lp) in captions.items()
                ]
            ),
            hide_index=True,
        )
        if labels:
            st.write("ImageNet: " + ", ".join(f"{label} ({p:.0%})" for label, p in labels))

        st.subheader("Persona")
        persona = persona_of_photo(feature, caption, captions["greedy"], labels)
        if persona is None:
            return
        cluster, probability = int(persona["cluster"]), float(persona["probability"])
        profiles = (load_output("cluster_profiles", show_missing=False) or {}).get("posts") or {}
        label = (profiles.get(str(cluster)) or {}).get("label") or ""
        if cluster == -1 and label == NOT_CLUSTERED_LABEL:
            st.write("No post clusters: there were too few posts to cluster.")
        elif cluster == -1:
            st.write("This photo joins no post cluster (noise).")
        else:
            st.metric(f"post cluster {cluster}", label or f"cluster {cluster}")
            st.progress(probability, text=f"probability {probability:.2f}")
        if persona.get("top_interest"):
            st.write(f"Top interest of the photo as a post: **{persona['top_interest']}**")
