"""New points placed in a fitted HDBSCAN clustering, as hdbscan's own prediction places them."""

import hdbscan
import numpy as np
import pytest

from insta_kedro.personas.placement import place_points


def blobs_with_background(rng: np.random.Generator, n: int, dims: int, k: int) -> np.ndarray:
    centres = rng.normal(size=(k, dims)) * 3
    points = centres[rng.integers(0, k, n)] + rng.normal(size=(n, dims))
    background = rng.random(n) < 0.05
    points[background] = rng.uniform(-8, 8, size=(background.sum(), dims))
    return points


@pytest.mark.parametrize(
    "dims, options",
    [
        (4, {"min_cluster_size": 30, "min_samples": 3}),
        (8, {"min_cluster_size": 20, "min_samples": 1, "cluster_selection_method": "leaf"}),
        (2, {"min_cluster_size": 15, "cluster_selection_epsilon": 0.5}),
        (3, {"min_cluster_size": 25, "min_samples": 5, "allow_single_cluster": True}),
    ],
)
def test_places_points_as_hdbscans_prediction_does(dims, options):
    rng = np.random.default_rng(dims)
    fitted = blobs_with_background(rng, 1500, dims, 4)
    model = hdbscan.HDBSCAN(prediction_data=True, **options).fit(fitted)
    # new points, far outliers, and fitted points again (distance 0 to themselves)
    points = np.vstack(
        [blobs_with_background(rng, 1000, dims, 4), rng.uniform(-30, 30, (20, dims)), fitted[:50]]
    )
    several = model.labels_.max() >= 1  # hdbscan's membership needs a cluster below the root
    assert several or options.get("allow_single_cluster")
    labels, strengths, scores, membership = place_points(model, points, membership=several)
    expected_labels, expected_strengths = hdbscan.approximate_predict(model, points)
    assert np.array_equal(labels, expected_labels)
    assert np.array_equal(strengths, expected_strengths)
    assert np.array_equal(scores, hdbscan.approximate_predict_scores(model, points))
    assert len(set(labels) - {-1}) >= 1 and (labels == -1).any()
    if several:
        expected = hdbscan.membership_vector(model, points)
        assert np.array_equal(membership, expected, equal_nan=True)
        assert membership.shape == (len(points), model.labels_.max() + 1)


def test_membership_only_when_asked():
    rng = np.random.default_rng(0)
    model = hdbscan.HDBSCAN(min_cluster_size=20, prediction_data=True).fit(
        blobs_with_background(rng, 600, 3, 3)
    )
    points = blobs_with_background(rng, 40, 3, 3)
    assert model.labels_.max() >= 1
    assert place_points(model, points).membership.shape == (40, 0)
    membership = place_points(model, points, membership=True).membership
    assert np.array_equal(membership, hdbscan.membership_vector(model, points))
    # a point's memberships are shares of its probability of being in some cluster
    assert np.all(membership >= 0) and np.all(membership.sum(axis=1) <= 1 + 1e-9)
