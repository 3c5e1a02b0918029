"""Try a photo: an uploaded image → captions of the trained model and the persona it joins.

The only page that computes: the uploaded image goes through VGG16 with the run's encoder
configuration (``image_features`` parameters, ``insta_kedro.vision.encoder_spec``), then the trained
``caption_model`` (greedy, beam and sampled decoding) and the fitted fusion and clusterer
(``insta_kedro.personas.assignment``). Nothing is trained and nothing is saved.
"""

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from insta_kedro.app.components import (
    ENCODER_COLUMNS,
    RANDOM_WEIGHTS_WARNING,
    freeze_objects_alive,
    load_output,
    reader,
    shown,
)
from insta_kedro.app.images import FORMAT_NAMES, TooManyPixelsError, read_image
from insta_kedro.captioning import CaptionVocabulary
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
NOT_AN_IMAGE = "`{name}` cannot be read as an image: {error}. Upload a " + FORMAT_NAMES + "."
TOO_MANY_PIXELS = "`{name}` is {error}. Upload a photo of fewer pixels."
MB = 1024 * 1024  # Streamlit's megabyte (server.maxUploadSize)
DEFAULT_MAX_UPLOAD_MB = 20
LIMIT_SETTING = (
    "`app.max_upload_mb` in `conf/local/parameters_app.yml` (the default is in "
    "`conf/base/parameters_app.yml`)"
)
TOO_LARGE = (
    "`{name}` is {size_mb:.1f} MB ({size:,} bytes), over the {limit:g} MB this page accepts. "
    "Upload a smaller photo, or raise " + LIMIT_SETTING + " and restart the app."
)


def upload_limit_mb(params: dict[str, Any]) -> tuple[float, str | None]:
    """The largest photo the page accepts, in MB.

    Takes the project's parameters. Returns ``app.max_upload_mb`` and None; or
    :data:`DEFAULT_MAX_UPLOAD_MB` and None when the key is absent, and with a message when it
    is no positive number.
    """
    app = params.get("app")
    if app is None:
        return float(DEFAULT_MAX_UPLOAD_MB), None
    value = app.get("max_upload_mb", DEFAULT_MAX_UPLOAD_MB) if isinstance(app, dict) else None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and math.isfinite(value) and value > 0:
        return float(value), None
    return float(DEFAULT_MAX_UPLOAD_MB), (
        f"`app.max_upload_mb` is `{shown(value)}`, not a positive number of MB: the page "
        f"accepts photos of up to {DEFAULT_MAX_UPLOAD_MB} MB. Set " + LIMIT_SETTING + "."
    )


def server_cap_note(limit_mb: float) -> str | None:
    """A note when Streamlit's ``server.maxUploadSize`` refuses uploads under ``limit_mb``.

    Takes the page's limit in MB. Returns the note, or None when the server's cap is higher.
    """
    cap = st.get_option("server.maxUploadSize")
    if not cap or cap >= limit_mb:
        return None
    return (
        f"Streamlit's `server.maxUploadSize` ({cap} MB) refuses larger files before this page "
        "sees them: raise it too (`--server.maxUploadSize` or `.streamlit/config.toml`)."
    )


def upload_problem(name: str, size: int, limit_mb: float) -> str | None:
    """Why an upload of ``size`` bytes is refused, or None when it is within ``limit_mb`` MB.

    Takes the file's shown name, its size in bytes and the limit in MB. Returns the message.
    """
    if size <= limit_mb * MB:
        return None
    return TOO_LARGE.format(name=name, size_mb=size / MB, size=size, limit=limit_mb)


def checked_upload(upload, limit_mb: float) -> Image.Image | None:
    """The uploaded photo decoded as RGB, or None after an error saying why not.

    Takes Streamlit's uploaded file and the limit in MB. The size is checked first, then the
    content (not the name): no image, a damaged one, or one that declares more pixels than
    Pillow decodes safely (never decoded). Returns the image or None.
    """
    name = shown(upload.name)
    problem = upload_problem(name, upload.size, limit_mb)
    if problem is not None:
        st.error(problem)
        return None
    try:
        return read_image(upload.getvalue())
    except TooManyPixelsError as error:
        st.error(TOO_MANY_PIXELS.format(name=name, error=error))
    except ValueError as error:
        st.error(NOT_AN_IMAGE.format(name=name, error=error))
    return None


def photo_uploader(limit_mb: float):
    """The file uploader, limited to ``limit_mb`` MB (Streamlit's own check in the browser).

    Takes the limit in MB. Returns Streamlit's uploaded file or None. No ``type``: the content
    decides, and Streamlit's name check would fail the page on a file it refuses.
    """
    note = server_cap_note(limit_mb)
    if note:
        st.caption(note)
    return st.file_uploader(
        "A photo (JPEG, PNG, WebP…)",
        max_upload_size=max(1, math.ceil(limit_mb)),
        help=f"At most {limit_mb:g} MB: " + LIMIT_SETTING + ".",
    )


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
    # Keras is imported here, on this page only: the app's other pages start without it.
    from insta_kedro.captioning import build_step_model

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
    from insta_kedro.captioning import decode_captions

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
            no_repeat_ngram_size=params.get("no_repeat_ngram_size", 0),
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
    loaded = [
        load_output("caption_model"),
        load_output("caption_vocab"),
        load_output("image_features", columns=ENCODER_COLUMNS),
    ]
    if any(value is None for value in loaded):
        return
    freeze_objects_alive("keras imported")  # the caption model brought TensorFlow's objects
    model, vocab_dict, image_features = loaded
    catalog = reader()
    spec = run_encoder_spec(catalog.params.get("image_features") or {})
    encoders = image_features["encoder"]
    run_encoders = sorted(encoders.dropna().unique().tolist())
    if run_encoders and spec.name not in run_encoders:
        st.error(
            f"The run's image features were made with `{', '.join(run_encoders)}`, but the "
            f"`image_features` parameters give `{spec.name}` here: the caption model would see "
            "features it was not trained on. Run `kedro run` again with these parameters."
        )
        return
    if not spec.has_labels:
        st.warning(RANDOM_WEIGHTS_WARNING.format(encoder=spec.name), icon="⚠️")

    limit_mb, problem = upload_limit_mb(catalog.params)
    if problem:
        st.warning(problem, icon="⚠️")
    upload = photo_uploader(limit_mb)
    caption = st.text_input("Your caption for it (optional; used for the persona)")
    if upload is None:
        return
    image = checked_upload(upload, limit_mb)
    if image is None:
        return

    left, right = st.columns([1, 2])
    left.image(image, caption=shown(upload.name), width="stretch")
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
