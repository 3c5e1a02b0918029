"""The persona size chosen by the DBCV of the people's clustering at each size tried."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from insta_kedro.personas import ClusteringParams
from insta_kedro.personas.clustering import NOISE, cluster_people, user_level_params
from insta_kedro.personas.selection import (
    best_size,
    candidate_sizes,
    cluster_people_by_validity,
)
from insta_kedro.personas.validation import clustering_report, flat_metrics

CONF = Path(__file__).resolve().parents[2] / "conf" / "base"


def shipped(**users) -> dict:
    """The clustering parameters of conf/base, with ``users`` settings replaced."""
    settings = yaml.safe_load((CONF / "parameters_clustering.yml").read_text())["clustering"]
    settings["users"] = {**settings["users"], **users}
    return ClusteringParams(**settings).model_dump()


def small_kinds(kinds: int = 25, per_kind: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """``kinds`` tight, well-apart groups of ``per_kind`` people (``user_features``-like) and
    each person's kind: groups smaller than the ``auto`` persona size of their number."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(kinds, 8))
    truth = np.repeat(np.arange(kinds), per_kind)
    vectors = centres[truth] + rng.normal(scale=0.01, size=(len(truth), 8))
    frame = pd.DataFrame(
        {
            "profile": [f"p{i}" for i in range(len(truth))],
            "persona_feature": list(vectors.astype(np.float32)),
        }
    )
    return frame, truth


def test_the_sizes_tried_are_multiples_of_the_auto_size_that_can_find_two_personas():
    params = shipped()
    assert user_level_params(params, 57)["hdbscan"]["min_cluster_size"] == 4
    assert candidate_sizes(params, 57) == [4, 2, 3, 6, 8]
    # 10 people: auto 2; 3 and 4 are tried, 5 could not find two personas of 5 among 10...
    assert candidate_sizes(params, 10) == [2, 3, 4]
    # ...and 3 people are too few for any
    assert candidate_sizes(params, 3) == [2]
    assert candidate_sizes(shipped(min_cluster_size_search=[]), 57) == [4]
    fixed = shipped(hdbscan={**params["users"]["hdbscan"], "min_cluster_size": 7})
    assert candidate_sizes(fixed, 57) == [7]


def test_the_best_size_is_the_highest_dbcv_and_the_auto_size_on_a_tie():
    assert best_size({4: 0.6, 2: 0.7, 3: 0.7}) == 2
    assert best_size({4: 0.7, 2: 0.7}) == 4
    assert best_size({4: None, 2: 0.1}) == 2
    assert best_size({4: None, 2: None}) == 4


def test_kinds_smaller_than_the_auto_size_are_found_by_the_search():
    users, truth = small_kinds()
    params = shipped()
    assert user_level_params(params, len(users))["hdbscan"]["min_cluster_size"] == 5

    at_auto = cluster_people(users, user_level_params(params, len(users)), params["seed"])[0]
    clusters, clusterer = cluster_people_by_validity(users, params)

    found = clusters["cluster"].to_numpy()
    assert adjusted_rand_score(truth, found) == 1.0 and NOISE not in found
    assert adjusted_rand_score(truth, at_auto["cluster"]) < 0.5
    selection = clusterer.params["selection"]
    assert selection["auto"] == 5 and selection["min_cluster_size"] in (2, 4)
    assert set(selection["dbcv"]) == {"5", "2", "4", "8", "10"}
    assert clusterer.params["hdbscan"]["min_cluster_size"] == selection["min_cluster_size"]
    kept = selection["dbcv"][str(selection["min_cluster_size"])]
    assert all(score is None or score <= kept for score in selection["dbcv"].values())


@pytest.mark.parametrize("search", [[], [0.5, 2.0]])
def test_the_report_scores_the_size_kept_and_says_how_it_was_chosen(search):
    users, _ = small_kinds()
    params = shipped(min_cluster_size_search=search)
    clusters, clusterer = cluster_people_by_validity(users, params)
    posts = pd.DataFrame({"post_id": [], "feature": []})
    post_clusters = pd.DataFrame({"post_id": [], "cluster": []})
    report = clustering_report(
        posts, users, post_clusters, clusters, clusterer, clusterer, {}, params
    )
    selection = report["users"]["min_cluster_size_selection"]
    assert selection == clusterer.params["selection"]
    kept = selection["min_cluster_size"]
    assert kept == (5 if not search else 2)
    assert flat_metrics(report)["users.min_cluster_size"] == {"value": float(kept), "step": 0}
