"""Caption model page: test metrics, sample captions and the MLflow runs side by side."""

import math

import mlflow
import pandas as pd
import streamlit as st

from insta_kedro.app.catalog_reader import EXPERIMENT_NAME
from insta_kedro.app.components import load_output, reader, warn_if_random_weights
from insta_kedro.kedro_ext.tracking_server import sqlite_file, without_passwords

SQLITE_HEADER = b"SQLite format 3\x00"

BEST_METRIC = "test.bpc"  # logged by the caption_model pipeline (evaluate_caption_model)
DATA_TAG = "caption_model.data.post_ids_sha256"  # which posts a run saw (caption_tracking)
TRAINED_TAG = "caption_model.trained"  # "False" on a run that did not train (and why:)
NOT_TRAINED_TAG = "caption_model.not_trained_reason"
VOCABULARY_PARAMS = ("caption_model.min_char_count", "caption_model.max_len")
SHOWN_TAGS = {
    "caption_model.data.n_posts": "data posts",
    DATA_TAG: "data post_ids sha256",
    "caption_model.encoder_weights": "encoder weights",
    TRAINED_TAG: "trained",
    NOT_TRAINED_TAG: "not trained because",
    # a run that resumed an interrupted training, or took a finished one, trained only the
    # epochs after it (or none): its train.train_seconds are not the whole training's
    "caption_model.resumed_at_epoch": "resumed after epoch",
    "caption_model.reused_finished_training": "reused a finished training",
}
SHOWN_METRICS = (
    "test.bpc",
    "test.perplexity",
    "test.unk_rate",
    "baselines.char_6gram_witten_bell_bpc",
    "baselines.shuffled_images_bpc",
    "image_gain_bpc",
    "val_bpc",
    "train.best_epoch",
    "train.train_seconds",
    "generation.real_word_rate",
    "generation.hashtag_rate",
    "generation.distinct_2",
    "generation.copy_rate",
    "generation.bleu_4",
)


class UnreadableStoreError(RuntimeError):
    """The MLflow tracking store cannot be read; the message says why."""


def caption_runs(tracking_uri: str, experiment: str = EXPERIMENT_NAME) -> list | None:
    """Runs of ``experiment`` that trained the caption model (they log ``test.bpc``) or ran
    it without training (tag ``caption_model.trained`` ``False``), newest first; None when
    there is no tracking store or experiment yet (nothing is created, an empty database file
    included). Raises :class:`UnreadableStoreError` when the store cannot be read (a damaged
    or outdated database, a server that does not answer); its message shows no password of
    the URI."""
    database = sqlite_file(tracking_uri)
    if database is not None:
        if not database.is_file() or database.stat().st_size == 0:
            return None
        with database.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise UnreadableStoreError(f"{database} is not an SQLite database")
    try:
        return _caption_runs(mlflow.MlflowClient(tracking_uri), experiment)
    except Exception as error:  # any failure of the store's client: the page goes on
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        message = without_passwords(f"{type(error).__name__}: {first_line}")
        raise UnreadableStoreError(message) from error


def _caption_runs(client: mlflow.MlflowClient, experiment: str) -> list | None:
    """:func:`caption_runs` through ``client``."""
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return None
    runs = client.search_runs([found.experiment_id], order_by=["attributes.start_time DESC"])
    return [
        run
        for run in runs
        if BEST_METRIC in run.data.metrics or run.data.tags.get(TRAINED_TAG) == "False"
    ]


def comparable_key(run) -> tuple:
    """What must match for two runs' test bits per character to compare: the posts (hence
    the test posts) and the settings that make the vocabulary and cut the captions."""
    return (run.data.tags.get(DATA_TAG), *(run.data.params.get(p) for p in VOCABULARY_PARAMS))


def best_run_id(runs: list) -> str | None:
    """The run with the lowest test bits per character among the runs comparable with the
    newest run that has one (:func:`comparable_key`): a smaller vocabulary has a lower bpc,
    not a better model. None when no run has a test bpc (``runs`` are newest first)."""
    scored = [r for r in runs if r.data.metrics.get(BEST_METRIC) is not None]
    if not scored:
        return None
    newest = comparable_key(scored[0])
    comparable = [r for r in scored if comparable_key(r) == newest]
    return min(comparable, key=lambda r: r.data.metrics[BEST_METRIC]).info.run_id


def runs_side_by_side(runs: list) -> pd.DataFrame:
    """Rows: which data, ``caption_model.*`` / ``image_features.*`` parameters and the main
    metrics; one column per run (``★`` marks the best, see :func:`best_run_id`)."""
    best = best_run_id(runs)
    columns = {}
    for run in runs:
        started = pd.Timestamp(run.info.start_time, unit="ms").strftime("%m-%d %H:%M")
        label = f"{'★ ' if run.info.run_id == best else ''}{run.info.run_id[:8]} ({started})"
        values: dict[str, object] = {
            f"tag {name}": run.data.tags[tag][:12] if tag == DATA_TAG else run.data.tags[tag]
            for tag, name in SHOWN_TAGS.items()
            if tag in run.data.tags
        }
        values |= {
            f"param {k}": v
            for k, v in run.data.params.items()
            if k.startswith(("caption_model.", "image_features."))
        }
        values.update(
            {
                f"metric {k}": shown(run.data.metrics[k])
                for k in SHOWN_METRICS
                if k in run.data.metrics
            }
        )
        columns[label] = values
    table = pd.DataFrame(columns)
    if table.empty:
        return table
    varying = table.astype(str).nunique(axis=1) > 1
    table.insert(0, "differs", varying.map({True: "◆", False: ""}))
    return table.sort_index().fillna("—").astype(str)


def shown(value: object) -> str:
    """Numbers with 3 decimals, missing values as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def metrics_rows(metrics: dict) -> pd.DataFrame:
    """The headline numbers of ``caption_metrics``."""
    test, baselines = metrics.get("test") or {}, metrics.get("baselines") or {}
    rows = [
        ("test bits per character", test.get("bpc")),
        ("test perplexity", test.get("perplexity")),
        ("test UNK rate", test.get("unk_rate")),
    ]
    rows += [(f"baseline {name}", value) for name, value in baselines.items()]
    rows += [
        ("image gain (shuffled − true, bpc)", metrics.get("image_gain_bpc")),
        ("network − n-gram (bpc)", metrics.get("network_minus_ngram_bpc")),
        ("test posts", test.get("n_posts")),
        ("architecture", metrics.get("architecture")),
    ]
    return pd.DataFrame([(name, shown(value)) for name, value in rows], columns=["metric", "value"])


def not_trained_message(metrics: dict) -> str | None:
    """What the page says when ``caption_metrics`` is of a run that did not train the model
    (``trained: false``), with the reason; None for a trained model."""
    if metrics.get("trained") is not False:
        return None
    reason = metrics.get("not_trained_reason") or "no reason recorded"
    return (
        f"Caption model not trained: {reason}. There are no generated captions: the persona "
        "and interests come from the posts' own captions (and image features, when there are "
        "any). The model learns from photos with captions: ingest a download with photos "
        "(instaloader without `--no-pictures`), or lower `caption_model.min_training_captions`."
    )


def render() -> None:
    st.title("Caption model")
    warn_if_random_weights()
    metrics = load_output("caption_metrics")
    not_trained = None if metrics is None else not_trained_message(metrics)
    if not_trained is not None:
        st.warning(not_trained, icon="⚠️")
    elif metrics is not None:
        left, right = st.columns(2)
        with left:
            st.subheader("Test metrics")
            st.dataframe(metrics_rows(metrics), hide_index=True)
        with right:
            st.subheader("Generation")
            generation = metrics.get("generation") or {}
            reference = metrics.get("real_test_captions") or {}
            table = pd.DataFrame({"generated": generation, "real test captions": reference})
            st.dataframe(table.map(shown))
        curve = reader().path("caption_loss_curve")
        if curve is not None and curve.is_file():
            st.image(curve.read_bytes(), caption="training and validation loss (bits/char)")

    if not_trained is None:
        st.subheader("Sample captions")
        samples = load_output("caption_samples")
        if samples is not None:
            st.dataframe(samples, hide_index=True)

    st.subheader(f"MLflow runs of experiment `{EXPERIMENT_NAME}`")
    tracking_uri = reader().mlflow_tracking_uri()
    shown_uri = without_passwords(tracking_uri)
    st.caption(f"Tracking store: `{shown_uri}` (browse it with `make mlflow-ui`).")
    try:
        runs = caption_runs(tracking_uri)
    except UnreadableStoreError as error:
        st.warning(f"The MLflow store cannot be read: {error}", icon="⚠️")
        return
    if not runs:
        st.info(
            "No MLflow run of the caption model yet: run `kedro run --pipelines=caption_model` "
            "in the project folder.",
            icon="ℹ️",
        )
        return
    best = best_run_id(runs)
    if best is None:
        st.write(f"{len(runs)} run(s), none trained; ◆ marks rows that differ between runs.")
    else:
        st.write(
            f"{len(runs)} run(s); ★ marks the best (lowest `{BEST_METRIC}` among the runs with "
            f"the newest trained one's posts, tag `{DATA_TAG}`, and vocabulary settings, "
            f"{', '.join(f'`{p}`' for p in VOCABULARY_PARAMS)}): `{best}`; ◆ marks rows that "
            "differ between runs."
        )
    st.dataframe(runs_side_by_side(runs))
