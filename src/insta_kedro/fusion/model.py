"""Confidence-weighted fusion of feature blocks into one vector per post.

Each block (image, own caption, generated caption, interests) is

1. standardized column by column (mean 0, std 1, fitted on the posts where the block is
   present; constant columns become 0),
2. L2-normalized row by row, so every block has the same scale whatever its width,
3. multiplied by its block weight (a parameter) and by the post's confidence in that block
   (0 where the block is absent: a zero-confidence block contributes exactly nothing),

and the blocks are concatenated. A block with no present post at all is dropped.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

FUSE_BLOCK = 65_536
"""Rows standardized, normalized and weighted at a time by :func:`fuse_blocks`."""


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


@dataclass
class BlockScaler:
    """Column statistics of one block, fitted on the rows that have it (kept to fuse new posts)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray, fit_rows: np.ndarray | None = None) -> "BlockScaler":
        rows = features if fit_rows is None or not fit_rows.any() else features[fit_rows]
        mean = rows.mean(axis=0) if len(rows) else np.zeros(features.shape[1])
        std = rows.std(axis=0) if len(rows) else np.ones(features.shape[1])
        return cls(mean, std)

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Mean 0 / std 1 with the fitted statistics; constant columns → 0."""
        std = self.std
        return np.divide(features - self.mean, std, out=np.zeros_like(features), where=std > 1e-12)


def standardize(features: np.ndarray, fit_rows: np.ndarray | None = None) -> np.ndarray:
    """Columns to mean 0 / std 1 using the statistics of ``fit_rows``; constant columns → 0."""
    return BlockScaler.fit(features, fit_rows).transform(features)


def l2_normalize(features: np.ndarray) -> np.ndarray:
    """Rows to unit length; zero rows stay zero."""
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return np.divide(features, norms, out=np.zeros_like(features), where=norms > 1e-12)


def weighted_block(
    block: FeatureBlock, scaler: BlockScaler | None = None, rows: slice = slice(None)
) -> np.ndarray:
    """standardize → L2 → × weight × confidence (float32), of the block's ``rows`` (all by
    default; each row's values depend on that row and the scaler alone).

    ``scaler``: statistics fitted before (new posts); by default fitted on ``block.available``.
    """
    scaler = scaler or BlockScaler.fit(block.features, block.available)
    unit = l2_normalize(scaler.transform(block.features[rows]))
    return (unit * block.weight * block.confidence[rows, None]).astype(np.float32)


def fit_block_scalers(blocks: list[FeatureBlock]) -> dict[str, BlockScaler]:
    """The standardization statistics ``fuse_blocks`` uses for each block."""
    return {block.name: BlockScaler.fit(block.features, block.available) for block in blocks}


def fuse_blocks(
    blocks: list[FeatureBlock], scalers: dict[str, BlockScaler] | None = None
) -> tuple[np.ndarray, dict[str, slice]]:
    """Concatenated weighted blocks and the column slice of each block in the result.

    ``scalers`` (from ``fit_block_scalers`` on the training posts) fuse new posts the same
    way; by default each block is standardized with its own statistics.
    """
    if not blocks:
        raise ValueError("no feature block to fuse")
    n_rows = {len(block.confidence) for block in blocks}
    if len(n_rows) != 1:
        raise ValueError(f"blocks have different numbers of posts: {sorted(n_rows)}")
    widths = [block.features.shape[1] for block in blocks]
    fused = np.empty((n_rows.pop(), sum(widths)), dtype=np.float32)
    slices, start = {}, 0
    for block, width in zip(blocks, widths, strict=True):
        columns = slice(start, start + width)
        scaler = (scalers or {}).get(block.name) or BlockScaler.fit(block.features, block.available)
        # In blocks of rows: the intermediate copies are those of FUSE_BLOCK rows at a time.
        for row in range(0, len(fused), FUSE_BLOCK):
            rows = slice(row, row + FUSE_BLOCK)
            fused[rows, columns] = weighted_block(block, scaler, rows)
        slices[block.name] = columns
        start += width
    return fused, slices


def fit_pca(features: np.ndarray, n_components: int, seed: int = 42) -> PCA | None:
    """PCA with at most ``n_components`` (fewer with fewer rows or columns); None if none."""
    n_components = min(n_components, features.shape[0], features.shape[1])
    if n_components < 1:
        return None
    features = features.astype(np.float32, copy=False)
    return PCA(n_components=n_components, random_state=seed).fit(features)


@dataclass
class FusionModel:
    """Everything fusion fitted, to fuse a new post exactly as the training posts.

    ``blocks``: the used blocks in vector order with their weight and ``BlockScaler``;
    ``image_pca`` and ``image_dims`` (raw image feature width); ``image_labels_used``: whether
    the image confidence was the top-1 ImageNet probability (else
    ``image_confidence_without_labels``); the interest ``categories`` and ImageNet table; and
    what text_features needs for a new caption (topic model, lexicon, parameters).
    """

    blocks: dict[str, dict[str, Any]]
    image_pca: PCA | None
    image_dims: int
    image_labels_used: bool
    image_confidence_without_labels: float
    categories: list[str]
    imagenet_categories: dict[str, Any]
    caption_topic_model: Any = None
    interest_lexicon: dict[str, Any] = field(default_factory=dict)
    text_params: dict[str, Any] = field(default_factory=dict)
    interest_classifier: Any = None
    interest_full_weight: float = 1.0

    @property
    def dims(self) -> int:
        return sum(block["dims"] for block in self.blocks.values())

    def scalers(self) -> dict[str, BlockScaler]:
        return {name: block["scaler"] for name, block in self.blocks.items()}
