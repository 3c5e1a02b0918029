"""Confidence-weighted fusion of feature blocks into one vector per post.

Each block (image, own caption, generated caption, interests) is

1. standardized column by column (mean 0, std 1, fitted on the posts where the block is
   present; constant columns become 0),
2. L2-normalized row by row, so every block has the same scale whatever its width,
3. multiplied by its block weight (a parameter) and by the post's confidence in that block
   (0 where the block is absent: a zero-confidence block contributes exactly nothing),

and the blocks are concatenated. A block with no present post at all is dropped.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA


@dataclass
class FeatureBlock:
    """One block: raw features (posts × dims), per-post confidence in [0, 1], block weight.

    ``available``: rows where the features exist (default: confidence > 0); the
    standardization is fitted on them, so a row with features but zero confidence still
    shapes the scale, and absent rows never do.
    """

    name: str
    features: np.ndarray
    confidence: np.ndarray
    weight: float = 1.0
    available: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.features = np.nan_to_num(np.asarray(self.features, dtype=np.float64))
        self.confidence = np.clip(np.nan_to_num(np.asarray(self.confidence, np.float64)), 0, 1)
        if self.features.ndim != 2 or len(self.features) != len(self.confidence):
            raise ValueError(
                f"block {self.name}: features {self.features.shape} and "
                f"confidence {self.confidence.shape} do not match"
            )
        if self.available is None:
            self.available = self.confidence > 0
        self.available = np.asarray(self.available, dtype=bool)

    @property
    def present(self) -> np.ndarray:
        return self.confidence > 0


def standardize(features: np.ndarray, fit_rows: np.ndarray | None = None) -> np.ndarray:
    """Columns to mean 0 / std 1 using the statistics of ``fit_rows``; constant columns → 0."""
    rows = features if fit_rows is None or not fit_rows.any() else features[fit_rows]
    mean = rows.mean(axis=0) if len(rows) else np.zeros(features.shape[1])
    std = rows.std(axis=0) if len(rows) else np.ones(features.shape[1])
    scaled = np.divide(features - mean, std, out=np.zeros_like(features), where=std > 1e-12)
    return scaled


def l2_normalize(features: np.ndarray) -> np.ndarray:
    """Rows to unit length; zero rows stay zero."""
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return np.divide(features, norms, out=np.zeros_like(features), where=norms > 1e-12)


def weighted_block(block: FeatureBlock) -> np.ndarray:
    """standardize → L2 → × weight × confidence (float32)."""
    unit = l2_normalize(standardize(block.features, block.available))
    return (unit * block.weight * block.confidence[:, None]).astype(np.float32)


def fuse_blocks(blocks: list[FeatureBlock]) -> tuple[np.ndarray, dict[str, slice]]:
    """Concatenated weighted blocks and the column slice of each block in the result."""
    if not blocks:
        raise ValueError("no feature block to fuse")
    n_rows = {len(block.confidence) for block in blocks}
    if len(n_rows) != 1:
        raise ValueError(f"blocks have different numbers of posts: {sorted(n_rows)}")
    parts, slices, start = [], {}, 0
    for block in blocks:
        part = weighted_block(block)
        slices[block.name] = slice(start, start + part.shape[1])
        start += part.shape[1]
        parts.append(part)
    return np.concatenate(parts, axis=1), slices


def reduce_with_pca(features: np.ndarray, n_components: int, seed: int = 42) -> np.ndarray:
    """PCA to at most ``n_components`` (fewer when there are fewer rows or columns)."""
    n_components = min(n_components, features.shape[0], features.shape[1])
    if n_components < 1:
        return np.zeros((len(features), 0), dtype=np.float32)
    pca = PCA(n_components=n_components, random_state=seed)
    return pca.fit_transform(features.astype(np.float32)).astype(np.float32)
