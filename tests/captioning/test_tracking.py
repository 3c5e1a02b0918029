"""MLflow logging of the caption model: the pure helpers, and the logging helpers against a real
local MLflow store, inside an active run and without one (then they do nothing)."""

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pytest

from insta_kedro.captioning import tracking


@pytest.fixture(scope="module")
def store_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite MLflow store for the module (creating its tables takes seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def store(
    store_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[mlflow.MlflowClient]:
    """The module's MLflow store as the tracking URI of this test, and a client of it.

    Set with ``mlflow.set_tracking_uri`` and ``mlflow.set_experiment``, not only the
    environment: a Kedro session of an earlier test in this process (kedro-mlflow) set
    MLflow's own URI and experiment, of another store, which win over it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store_uri)
    mlflow.set_tracking_uri(store_uri)
    mlflow.set_experiment("Default")
    yield mlflow.MlflowClient(store_uri)
    mlflow.set_tracking_uri(None)


def all_runs(client: mlflow.MlflowClient) -> list:
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(experiments)


def test_the_fingerprint_counts_the_posts_and_hashes_their_sorted_ids():
    fingerprint = tracking.data_fingerprint(["p2", "p10", "p1"])
    assert fingerprint == {
        "n_posts": "3",
        "post_ids_sha256": hashlib.sha256(b"p1\np10\np2").hexdigest(),
    }


def test_the_same_posts_in_another_order_give_the_same_fingerprint():
    ids = [f"post{i}" for i in range(30)]
    assert tracking.data_fingerprint(ids) == tracking.data_fingerprint(reversed(ids))
    assert tracking.data_fingerprint(iter(ids)) == tracking.data_fingerprint(ids)


def test_other_posts_give_another_fingerprint():
    one = tracking.data_fingerprint(["a", "b"])["post_ids_sha256"]
    assert tracking.data_fingerprint(["a", "c"])["post_ids_sha256"] != one
    assert tracking.data_fingerprint(["a"])["post_ids_sha256"] != one
    assert tracking.data_fingerprint(["a", "b", "b"])["n_posts"] == "3"


def test_ids_are_read_as_text():
    assert tracking.data_fingerprint([3, 1, 2]) == tracking.data_fingerprint(["1", "2", "3"])
    assert tracking.data_fingerprint([]) == {
        "n_posts": "0",
        "post_ids_sha256": hashlib.sha256(b"").hexdigest(),
    }


def test_nested_numbers_are_flattened_to_dotted_keys_as_floats():
    flat = tracking.flatten_numbers({"bpc": 2, "test": {"bleu": {"1": 0.25, "4": 0.5}}})
    assert flat == {"bpc": 2.0, "test.bleu.1": 0.25, "test.bleu.4": 0.5}
    assert all(type(v) is float for v in flat.values())


def test_a_prefix_starts_every_key():
    assert tracking.flatten_numbers({"a": 1, "b": {"c": 2}}, prefix="data.") == {
        "data.a": 1.0,
        "data.b.c": 2.0,
    }


def test_none_text_lists_booleans_and_non_finite_numbers_are_left_out():
    data = {
        "none": None,
        "text": "merge",
        "list": [1, 2],
        "flag": True,
        "nan": math.nan,
        "inf": -math.inf,
        "kept": 1.5,
        "numpy_float": np.float64(0.5),  # a Python float subclass
        "numpy_bool": np.bool_(True),
        "numpy_nan": np.float32("nan"),
        "empty": {},
    }
    assert tracking.flatten_numbers(data) == {"kept": 1.5, "numpy_float": 0.5}


def test_numpy_numbers_of_every_width_are_kept_as_floats():
    data = {"count": np.int64(3), "share": np.float32(0.5), "small": np.uint8(7)}
    flat = tracking.flatten_numbers(data)
    assert flat == {"count": 3.0, "share": 0.5, "small": 7.0}
    assert all(type(v) is float for v in flat.values())


def test_without_an_active_run_nothing_is_logged_and_no_run_is_started(store):
    before = len(all_runs(store))
    tracking.log_metrics({"loss": 1.0})
    tracking.set_tags({"caption_model.trained": True})
    tracking.log_epoch_history([{"loss": 1.0}])
    assert not tracking.active() and mlflow.active_run() is None
    assert len(all_runs(store)) == before


def test_metrics_go_to_the_active_run_flattened_and_prefixed(store):
    with mlflow.start_run() as run:
        assert tracking.active()
        tracking.log_metrics(
            {"bpc": 2.5, "generation": {"hashtag_rate": 0.1, "decoder": "greedy"}, "best": None},
            prefix="test.",
        )
    assert not tracking.active()
    assert store.get_run(run.info.run_id).data.metrics == {
        "test.bpc": 2.5,
        "test.generation.hashtag_rate": 0.1,
    }


def test_tags_are_written_as_text(store):
    with mlflow.start_run() as run:
        tracking.set_tags({"caption_model.trained": False, "epochs": 3, "reason": None})
        tracking.set_tags(tracking.data_fingerprint(["p1", "p2"]))
    tags = store.get_run(run.info.run_id).data.tags
    assert tags["caption_model.trained"] == "False"
    assert tags["epochs"] == "3" and tags["reason"] == "None"
    assert tags["n_posts"] == "2" and len(tags["post_ids_sha256"]) == 64


def test_epochs_of_an_earlier_training_are_logged_at_steps_one_two_three(store):
    epochs = [
        {"loss": 3.0, "val_loss": 3.5, "val_bpc": 5.0, "lr": 0.01},
        {"loss": 2.0, "val_loss": 2.5},
        {"loss": 1.0, "val_loss": 2.0, "val_bpc": 2.9},
    ]
    with mlflow.start_run() as run:
        tracking.log_epoch_history(epochs)
    run_id = run.info.run_id

    def history(name):
        return [(m.step, m.value) for m in store.get_metric_history(run_id, name)]

    assert sorted(history("loss")) == [(1, 3.0), (2, 2.0), (3, 1.0)]
    assert sorted(history("val_loss")) == [(1, 3.5), (2, 2.5), (3, 2.0)]
    assert sorted(history("val_bpc")) == [(1, 5.0), (3, 2.9)]  # epoch 2 had none
    assert history("lr") == []  # not one of the names asked for


def test_only_the_names_asked_for_are_logged(store):
    with mlflow.start_run() as run:
        tracking.log_epoch_history([{"loss": 1.0, "acc": 0.5}, {"loss": 0.5, "acc": 0.7}], ("acc",))
    metrics = store.get_run(run.info.run_id).data.metrics
    assert metrics == {"acc": 0.7}  # the latest step's value
