"""Benchmark of post clustering (PCA + HDBSCAN) on synthetic blobs; prints a table.

    .venv/bin/python benchmarks/clustering.py [--sizes 10000 30000 100000] [--dims 512]

Each size draws ``--clusters`` Gaussian blobs in ``--dims`` dimensions (random centres, unit
noise, 5 % uniform background points) and runs ``fit_persona_clusterer`` end to end with
the post parameters of conf/base/parameters_clustering.yml, ``auto`` resolved for the size
(L2 normalization, PCA, HDBSCAN with prediction data, membership vectors, 2-D map; above
``max_fit`` the fit on a sample), then assigns 1,000 new points with
``approximate_predict``. Reported per size: seconds (fit, assign), clusters found, noise
share, ARI against the blobs; then the growth exponent of the fit time between the smallest
and the largest size (time ∝ n^k) and the peak memory (max RSS) of this process.
Targets at 100k × 512: ≤ 60 s and ≤ 4 GB.
"""

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import yaml
from sklearn.metrics import adjusted_rand_score

from insta_kedro.personas import fit_persona_clusterer, post_level_params

CONF = Path(__file__).resolve().parents[1] / "conf" / "base"


def blobs(n_points: int, dims: int, n_clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """float32 blobs plus 5 % uniform background points (label -1)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(n_clusters, dims)).astype(np.float32)
    n_background = n_points // 20
    labels = rng.integers(0, n_clusters, n_points - n_background)
    points = centres[labels] + rng.normal(size=(len(labels), dims)).astype(np.float32)
    background = rng.uniform(-8, 8, size=(n_background, dims)).astype(np.float32)
    return np.vstack([points, background]), np.concatenate([labels, np.full(n_background, -1)])


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--dims", type=int, default=512)
    parser.add_argument("--clusters", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    params = yaml.safe_load((CONF / "parameters_clustering.yml").read_text())["clustering"]
    print("| posts | dims | fit s | assign 1k s | clusters | noise | ARI | peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    timings = {}
    for size in args.sizes:
        features, truth = blobs(size, args.dims, args.clusters, args.seed)
        start = time.perf_counter()
        level = post_level_params(params, size)
        clusterer, result = fit_persona_clusterer(features, level, params["seed"])
        fit_seconds = time.perf_counter() - start
        new_points, _ = blobs(1000, args.dims, args.clusters, args.seed)
        start = time.perf_counter()
        clusterer.assign(new_points)
        assign_seconds = time.perf_counter() - start
        timings[size] = fit_seconds
        print(
            f"| {size:,} | {args.dims} | {fit_seconds:.1f} | {assign_seconds:.2f} | "
            f"{result.n_clusters} | {np.mean(result.labels == -1):.3f} | "
            f"{adjusted_rand_score(truth, result.labels):.3f} | {peak_memory_mb():,.0f} |"
        )
    small, large = min(timings), max(timings)
    if large > small:
        exponent = np.log(timings[large] / timings[small]) / np.log(large / small)
        print(f"\ngrowth exponent {small:,} → {large:,}: time ∝ n^{exponent:.2f}")
    print(f"peak memory (max RSS): {peak_memory_mb():,.0f} MB")


if __name__ == "__main__":
    main()
