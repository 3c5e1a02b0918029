"""The check that the clustering's inputs were made from the same download.

Fusion writes one ``post_features`` row per post of ``posts``. When ``posts`` is written again
(a ``kedro run --pipelines=ingestion`` after accounts or posts were added or removed, or a
``kedro run`` stopped after its ingestion) and the clustering runs on the earlier
``post_features``, its descriptions and characterizations would mix two downloads: new people
without a persona, removed people still in the clusters.

Example:
    >>> check_features_describe_posts(posts, post_features)  # ValueError when they differ
"""

import pandas as pd

PROFILES_NAMED = 5
RUN_AGAIN = (
    "`posts` changed after fusion made `post_features` (a `kedro run --pipelines=ingestion`, or "
    "a run stopped after its ingestion). Run `kedro run` (or `kedro run --pipelines="
    "image_features,caption_model,text_features,fusion,clustering`) to make them agree."
)


def _count(frame: pd.DataFrame, post_ids: set[str], what: str) -> str:
    """``"N posts <what> (K profiles: a, b, …)"`` for the rows of ``frame`` whose post is
    among ``post_ids``."""
    profiles = sorted(frame.loc[frame["post_id"].isin(post_ids), "profile"].astype(str).unique())
    named = ", ".join(profiles[:PROFILES_NAMED]) + (", …" if len(profiles) > PROFILES_NAMED else "")
    plural = "" if len(profiles) == 1 else "s"
    return f"{len(post_ids)} posts {what} ({len(profiles)} profile{plural}: {named})"


def check_features_describe_posts(posts: pd.DataFrame, post_features: pd.DataFrame) -> None:
    """Raise when ``post_features`` describes other posts than ``posts``.

    ``posts`` and ``post_features``: frames with ``post_id`` and ``profile`` columns. Returns
    nothing when both hold the same post ids (in any order). Raises ``ValueError`` otherwise,
    counting the posts only one of them holds and naming their profiles, and saying which
    ``kedro run`` makes them agree.
    """
    in_posts = set(posts["post_id"].astype(str))
    in_features = set(post_features["post_id"].astype(str))
    if in_posts == in_features:
        return
    differences = []
    if added := in_posts - in_features:
        differences.append(_count(posts, added, "of `posts` have no `post_features` row"))
    if removed := in_features - in_posts:
        differences.append(_count(post_features, removed, "no longer in `posts`"))
    raise ValueError(
        f"post_features does not describe the posts of `posts`: {'; '.join(differences)}. "
        + RUN_AGAIN
    )
