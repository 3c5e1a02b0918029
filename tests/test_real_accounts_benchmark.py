"""The pure metrics of benchmarks/real_accounts.py, on tiny crafted examples."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "real_accounts.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("real_accounts_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LABELS = {
    "jokes": ["comedy", "memes"],
    "laughs": ["comedy", "memes"],
    "skater": ["sports"],
    "runner": ["sports"],
    "painter": ["art", "photography"],
}


def test_a_perfect_prediction_scores_one(bench):
    rankings = {
        "jokes": [("comedy", 0.9)],
        "laughs": [("memes", 0.6), ("art", 0.4)],
        "skater": [("sports", 0.7), ("travel", 0.3)],
        "runner": [("sports", 1.0)],
        "painter": [("art", 0.5), ("nature", 0.2)],
    }
    clusters = {"jokes": 0, "laughs": 0, "skater": 1, "runner": 1, "painter": 2}
    metrics = bench.evaluate(rankings, clusters, LABELS)
    assert metrics["top1_accuracy"] == 1.0
    assert metrics["top3_accuracy"] == 1.0
    assert metrics["persona"]["ari"] == pytest.approx(1.0)
    assert metrics["persona"]["purity"] == 1.0
    assert metrics["noise_share_labelled"] == 0.0
    assert metrics["persona_clusters"] == 3


def test_a_wrong_top_interest_is_counted_wrong_and_top_three_can_still_hit(bench):
    rankings = {
        "jokes": [("family", 0.5), ("food", 0.3), ("comedy", 0.2)],  # top-3 only
        "skater": [("music", 1.0)],  # wrong
        "runner": [],  # no interest at all: wrong
    }
    labels = {a: LABELS[a] for a in rankings}
    assert bench.interest_accuracy(rankings, labels, 1) == 0.0
    assert bench.interest_accuracy(rankings, labels, 3) == pytest.approx(1 / 3)
    rows = bench.account_rows(rankings, {}, labels)
    assert [(r["account"], r["top1_right"], r["top3_right"]) for r in rows] == [
        ("jokes", False, True),
        ("runner", False, False),
        ("skater", False, False),
    ]
    confusion = bench.confusion_table(bench.true_kinds(labels), rankings)
    assert confusion.loc["comedy", "family"] == 1
    assert confusion.loc["sports", "music"] == 1
    assert confusion.loc["sports", bench.NONE_LABEL] == 1


def test_noise_is_counted_in_the_noise_share_and_left_out_of_purity(bench):
    clusters = {"jokes": 0, "laughs": 0, "skater": 0, "runner": -1, "painter": -1, "other": 1}
    kinds = bench.true_kinds(LABELS)
    assert bench.noise_share(clusters, list(LABELS)) == pytest.approx(2 / 5)
    assert bench.noise_share(clusters) == pytest.approx(2 / 6)
    # cluster 0 holds comedy, comedy, sports: majority 2 of 3 clustered labelled accounts
    assert bench.purity(clusters, kinds) == pytest.approx(2 / 3)
    assert bench.purity(clusters, kinds, strict=True) == pytest.approx(2 / 5)
    scores = bench.persona_scores(clusters, kinds)
    assert scores["ari"] < 1.0
    assert scores["clusters_among_labelled"] == 1


def test_labelled_accounts_missing_from_the_outputs_are_listed_not_scored(bench):
    metrics = bench.evaluate({"jokes": [("comedy", 1.0)]}, {"jokes": 0}, LABELS)
    assert metrics["labelled_present"] == 1
    assert metrics["top1_accuracy"] == 1.0
    assert metrics["labelled_missing"] == ["laughs", "painter", "runner", "skater"]


def test_interests_are_read_from_every_shape_the_characterization_may_take(bench):
    assert bench.ranked_interests({"art": 0.2, "music": 0.5, "food": 0.0}) == [
        ("music", 0.5),
        ("art", 0.2),
    ]
    assert bench.ranked_interests({"art": {"weight": 0.3, "evidence": ["#art"]}}) == [("art", 0.3)]
    assert bench.ranked_interests([{"category": "pets", "weight": 0.4}]) == [("pets", 0.4)]
    assert bench.ranked_interests(None) == []
    features = pd.DataFrame(
        {"profile": ["a"], "interest_art": [0.1], "interest_pets": [0.9], "top_interest": ["pets"]}
    )
    assert bench.rankings_from_features(features) == {"a": [("pets", 0.9), ("art", 0.1)]}
    characterizations = {"a": {"interests": {"pets": 0.9}, "persona": {"cluster": 2}}}
    assert bench.rankings_from_characterizations(characterizations) == {"a": [("pets", 0.9)]}
    assert bench.clusters_from_characterizations(characterizations) == {"a": 2}


def test_bootstrap_intervals_bracket_the_figures_and_repeat_with_the_seed(bench):
    rankings = {
        "jokes": [("family", 0.6), ("comedy", 0.4)],  # top-1 wrong, top-3 right
        "laughs": [("memes", 1.0)],
        "skater": [("sports", 1.0)],
        "runner": [("sports", 1.0)],
        "painter": [("art", 1.0)],
    }
    perfect = {"jokes": 0, "laughs": 0, "skater": 1, "runner": 1, "painter": 2}
    intervals = bench.bootstrap_intervals(rankings, perfect, LABELS, draws=500)
    low, high = intervals["top1_accuracy"]
    assert 0.0 <= low < 0.8 < high == 1.0  # 4 of 5 right: another draw may hold the wrong one
    assert intervals["top3_accuracy"] == (1.0, 1.0)  # every account right: nothing can move
    # a draw of distinct accounts with perfect personas scores ARI 1 or, with one kind, 0
    low, high = intervals["persona_ari"]
    assert 0.0 <= low <= high == pytest.approx(1.0)
    assert bench.bootstrap_intervals(rankings, perfect, LABELS, draws=500) == intervals
    assert bench.bootstrap_intervals(rankings, {"jokes": 0}, LABELS)["persona_ari"] is None
    assert bench.bootstrap_intervals({}, {}, LABELS)["top1_accuracy"] is None
    report = bench.report(
        bench.evaluate(rankings, perfect, LABELS), [], pd.DataFrame(), perfect, LABELS
    )
    assert "| top-1 interest accuracy | 0.800 | " in report


def test_top_one_is_scored_apart_for_accounts_marked_thin_evidence(bench):
    rankings = {
        "jokes": [("family", 0.5), ("comedy", 0.2)],  # wrong, marked thin
        "skater": [("sports", 1.0)],
        "runner": [("music", 1.0)],  # wrong, not marked
    }
    characterizations = {
        "jokes": {"interest_support": {"thin": True}},
        "skater": {"interest_support": {"thin": False}},
        "runner": {"interest_support": None},
        "stranger": {"interest_support": {"thin": True}},
    }
    thin = bench.thin_from_characterizations(characterizations)
    assert thin == {"jokes", "stranger"}
    labels = {a: LABELS[a] for a in rankings}
    metrics = bench.evaluate(rankings, {}, labels, thin)
    assert metrics["by_support"] == {
        "supported": {"accounts": 2, "top1_accuracy": 0.5},
        "thin": {"accounts": 1, "top1_accuracy": 0.0},
    }
    rows = bench.account_rows(rankings, {}, labels, thin=thin)
    assert [r["account"] for r in rows if r["thin"]] == ["jokes"]
    nothing = bench.accuracy_by_support(rankings, labels, set())
    assert nothing["thin"] == {"accounts": 0, "top1_accuracy": None}


def _three_kinds() -> tuple[pd.DataFrame, dict, dict]:
    """24 people of three kinds, eight each, the first four of each labelled, as persona
    vectors far apart; and the project's clustering parameters."""
    import numpy as np
    import yaml

    rng = np.random.default_rng(0)
    kinds = ("comedy", "sports", "art")
    profiles, vectors, labels = [], [], {}
    for k, kind in enumerate(kinds):
        for i in range(8):
            profile = f"{kind}{i}"
            vector = np.full(6, 0.05)
            vector[2 * k : 2 * k + 2] = 1.0
            profiles.append(profile)
            vectors.append((vector + rng.normal(0, 0.02, 6)).astype(np.float32))
            if i < 4:
                labels[profile] = [kind]
    features = pd.DataFrame({"profile": profiles, "persona_feature": vectors})
    clustering = yaml.safe_load(
        (BENCHMARK.parents[1] / "conf" / "base" / "parameters_clustering.yml").read_text()
    )["clustering"]
    return features, clustering, labels


def _blurred(features: pd.DataFrame) -> pd.DataFrame:
    """The same people, their three kinds one cloud."""
    import numpy as np

    rng = np.random.default_rng(1)
    return features.assign(persona_feature=[rng.normal(0, 1, 6) for _ in range(len(features))])


def test_leave_one_out_refits_the_personas_without_each_account(bench):
    features, clustering, labels = _three_kinds()

    found = bench.leave_one_out(features, clustering, labels)

    assert found["refits"] == 24
    assert found["noise_share_labelled"] == {"mean": 0.0, "p10": 0.0, "max": 0.0, "above_0.2": 0}
    assert found["persona_ari"] == {"mean": 1.0, "p10": 1.0, "min": 1.0, "below_0.5": 0}
    assert "24 refits" in bench.refit_lines("Leave one account out", found)

    # three kinds that are one cloud: the refits say so
    mixed = bench.leave_one_out(_blurred(features), clustering, labels)
    assert mixed["persona_ari"]["mean"] < 0.5


def test_subsamples_refit_the_personas_on_random_subsets_of_each_part(bench, monkeypatch):
    from insta_kedro import personas

    features, clustering, labels = _three_kinds()
    seen = []
    fit = personas.cluster_people_by_validity

    def recorded(kept, params):
        seen.append(set(kept["profile"]))
        return fit(kept, params)

    monkeypatch.setattr(personas, "cluster_people_by_validity", recorded)

    found = bench.subsamples(features, clustering, labels, fraction=0.5, draws=5)

    assert found["fraction"] == 0.5 and found["refits"] == 5
    assert [len(s & set(labels)) for s in seen] == [6] * 5  # half of the 12 labelled
    assert [len(s - set(labels)) for s in seen] == [6] * 5  # and half of the other 12
    assert len({frozenset(s) for s in seen}) == 5
    assert found["persona_ari"]["min"] == 1.0
    again = bench.subsamples(features, clustering, labels, fraction=0.5, draws=5)
    assert again == found  # seeded
    assert "5 refits" in bench.refit_lines("Random 50% of the accounts", found)
    mixed = bench.subsamples(_blurred(features), clustering, labels, fraction=0.5, draws=5)
    assert mixed["persona_ari"]["mean"] < 0.5
