"""Real-data validation of the characterization of people: real captions, labelled accounts.

    .venv/bin/python benchmarks/real_accounts.py [--pipelines ingestion,text_features,...]
        [--default] [--keep DIR [--no-run]] [--leave-one-out] [--subsample FRACTION
        [--draws N]] [--json PATH] [--data DIR] [--labels FILE]

Runs the project's own pipelines, in a real KedroSession, on the real captions of
../shared/data/real-captions/download (57 accounts, no photos) with
``ingestion.source=folder``, then scores what the product says about each person against
../shared/data/real-captions/labels.json (account → the interest names that count as a right
answer; the first one is the account's *kind*). The data is read by path, never copied; when
it is absent the script prints ``skipped: <reason>`` and exits 0.

The run happens in a throw-away copy of the project configuration (pyproject.toml,
conf/base, empty conf/local, src/ and data/) in a temporary folder, with MLflow in a SQLite
file there, as the tests do; ``--keep DIR`` runs in DIR instead and keeps its outputs (a DIR
kept before is reused: ``--keep DIR --pipelines clustering`` re-clusters a kept run, and
``--keep DIR --no-run`` only scores what DIR holds). Default pipelines: ingestion,
text_features, fusion, clustering (there are no photos, so image_features and caption_model
add nothing); ``--default`` runs the whole default pipeline. Kedro's log goes to stderr.

Reported, over the labelled accounts found in the outputs:
- top-1 / top-3 interest accuracy: the person's interests ranked by weight, as
  user_characterizations.json gives them (user_features' ``interest_*`` columns when it is
  absent); right when the top one / any of the top three is in the account's label list;
- persona ARI and NMI of the user clusters against the kinds, noise (-1) counted as one more
  label (``cluster_validation.agreement``, the strict reading), and ARI without the noise;
- purity: each non-noise cluster's majority-kind share, weighted by size, over the clustered
  labelled accounts (noise left out); ``strict purity`` counts noise accounts as misplaced;
- for top-1, top-3 and the persona ARI, a 95 % percentile bootstrap interval (the labelled
  accounts drawn 2,000 times with replacement, seeded): with 22 accounts, one account more or
  less right moves top-1 by 0.045, and the intervals say how far another set of accounts of
  the same kinds could take each figure;
- top-1 accuracy apart for the accounts whose top interest the product marks as thin evidence
  (``interest_support.thin``: it rests on few of their posts) and for the others: whether
  the warning tells a user when not to trust the answer;
- noise share among the labelled accounts and among all accounts, number of persona clusters;
- a confusion table (rows: true kind, columns: predicted top interest), a per-account table,
  the persona clusters, and the wall time of the pipelines and of the whole script;
- with ``--leave-one-out``: each account left out in turn and the others' ``user_features``
  clustered again as the pipeline clusters them, with the project's clustering parameters;
  the labelled noise share and the persona ARI over these refits (mean, worst, how many past
  the issue's 20 % / below 0.5). The bootstrap draws other sets of labels from one
  clustering; this refits the clustering, and says how far one person more or less moves
  the personas of a few dozen people;
- with ``--subsample FRACTION``: the same over ``--draws`` (40) random subsets that keep that
  fraction of the labelled accounts and of the others (seeded): the closest these data come
  to the same kinds of accounts, other ones, as a new set of people would be.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL_CAPTIONS = ROOT / ".." / "shared" / "data" / "real-captions"
DEFAULT_PIPELINES = ("ingestion", "text_features", "fusion", "clustering")
NOISE = -1
NONE_LABEL = "(none)"
MARKER = ".real_accounts_benchmark"
CHARACTERIZATIONS = Path("data/08_reporting/user_characterizations.json")
USER_CLUSTERS = Path("data/07_model_output/user_clusters.parquet")
USER_FEATURES = Path("data/04_feature/user_features.parquet")
CLUSTERING_PARAMETERS = Path("conf/base/parameters_clustering.yml")
LOGGING_YML = """\
version: 1
disable_existing_loggers: false
formatters:
  simple:
    format: "%(asctime)s %(name)s %(levelname)s %(message)s"
handlers:
  stderr:
    class: logging.StreamHandler
    level: INFO
    formatter: simple
    stream: ext://sys.stderr
loggers:
  kedro:
    level: INFO
  insta_kedro:
    level: INFO
root:
  level: WARNING
  handlers: [stderr]
"""

Ranking = list[tuple[str, float]]


# --------------------------------------------------------------------------- pure metrics


def normalize_interest(name: Any) -> str:
    """Interest names compared case- and separator-insensitively ("Film TV" == "film_tv")."""
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def ranked_interests(interests: Any) -> Ranking:
    """(category, weight) by descending weight, from a characterization's ``interests``.

    Accepts category → weight, category → {"weight": w, ...evidence} and a list of
    {"category": c, "weight": w}; categories without a positive finite weight are left out.
    """
    pairs: list[tuple[str, Any]] = []
    if isinstance(interests, Mapping):
        for category, value in interests.items():
            weight = value.get("weight") if isinstance(value, Mapping) else value
            pairs.append((str(category), weight))
    elif isinstance(interests, Sequence) and not isinstance(interests, str):
        for item in interests:
            if isinstance(item, Mapping) and "category" in item:
                pairs.append((str(item["category"]), item.get("weight")))
    ranking = []
    for category, weight in pairs:
        try:
            value = float(weight)
        except (TypeError, ValueError):
            continue
        if np.isfinite(value) and value > 0:
            ranking.append((category, value))
    ranking.sort(key=lambda pair: (-pair[1], pair[0]))
    return ranking


def rankings_from_characterizations(characterizations: Mapping[str, Any]) -> dict[str, Ranking]:
    """profile → ranked interests, from user_characterizations.json."""
    return {
        str(profile): ranked_interests((entry or {}).get("interests"))
        for profile, entry in characterizations.items()
    }


def rankings_from_features(user_features: pd.DataFrame) -> dict[str, Ranking]:
    """profile → ranked interests, from user_features' ``interest_<category>`` columns."""
    columns = [c for c in user_features.columns if c.startswith("interest_")]
    return {
        str(row["profile"]): ranked_interests(
            {c.removeprefix("interest_"): row[c] for c in columns}
        )
        for _, row in user_features.iterrows()
    }


def thin_from_characterizations(characterizations: Mapping[str, Any]) -> set[str]:
    """The profiles whose top interest user_characterizations.json marks as thin evidence."""
    return {
        str(profile)
        for profile, entry in characterizations.items()
        if ((entry or {}).get("interest_support") or {}).get("thin")
    }


def clusters_from_characterizations(characterizations: Mapping[str, Any]) -> dict[str, int]:
    """profile → persona cluster as user_characterizations.json states it (when it does)."""
    clusters = {}
    for profile, entry in characterizations.items():
        persona = (entry or {}).get("persona")
        cluster = persona.get("cluster") if isinstance(persona, Mapping) else persona
        if cluster is not None:
            clusters[str(profile)] = int(cluster)
    return clusters


def true_kinds(labels: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """account → its kind: the first acceptable interest of its label list."""
    return {account: normalize_interest(names[0]) for account, names in labels.items() if names}


def top_k_hit(ranking: Ranking, acceptable: Sequence[str], k: int) -> bool:
    """Whether any of the top ``k`` categories is one of the acceptable interests."""
    accepted = {normalize_interest(name) for name in acceptable}
    return any(normalize_interest(category) in accepted for category, _ in ranking[:k])


def interest_accuracy(
    rankings: Mapping[str, Ranking], labels: Mapping[str, Sequence[str]], k: int
) -> float | None:
    """Share of the labelled accounts present in ``rankings`` with a top-``k`` hit (None: none).

    An account with no interest at all counts as wrong.
    """
    accounts = [a for a in labels if a in rankings]
    if not accounts:
        return None
    return float(np.mean([top_k_hit(rankings[a], labels[a], k) for a in accounts]))


def accuracy_by_support(
    rankings: Mapping[str, Ranking], labels: Mapping[str, Sequence[str]], thin: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Top-1 accuracy and account count of the labelled accounts marked ``thin`` and of the
    others (``supported``); accuracy None for a group without accounts."""
    present = [a for a in labels if a in rankings]
    groups = {
        "supported": [a for a in present if a not in thin],
        "thin": [a for a in present if a in thin],
    }
    return {
        name: {
            "accounts": len(accounts),
            "top1_accuracy": interest_accuracy(
                {a: rankings[a] for a in accounts}, {a: labels[a] for a in accounts}, 1
            ),
        }
        for name, accounts in groups.items()
    }


def noise_share(clusters: Mapping[str, int], accounts: Sequence[str] | None = None) -> float | None:
    """Share of noise (-1) among ``accounts`` (all of ``clusters`` when None) that have one."""
    chosen = [a for a in (clusters if accounts is None else accounts) if a in clusters]
    if not chosen:
        return None
    return float(np.mean([clusters[a] == NOISE for a in chosen]))


def purity(
    clusters: Mapping[str, int], kinds: Mapping[str, str], strict: bool = False
) -> float | None:
    """Weighted majority-kind share of the non-noise clusters, over the labelled accounts.

    Noise is left out (``strict=False``) or counted as misplaced accounts (``strict=True``:
    the denominator is every labelled account with a cluster). None when nothing is scored.
    """
    accounts = [a for a in kinds if a in clusters]
    clustered = [a for a in accounts if clusters[a] != NOISE]
    total = len(accounts) if strict else len(clustered)
    if not total:
        return None
    members: dict[int, list[str]] = {}
    for account in clustered:
        members.setdefault(clusters[account], []).append(kinds[account])
    majority = sum(Counter(group).most_common(1)[0][1] for group in members.values())
    return majority / total


def persona_scores(clusters: Mapping[str, int], kinds: Mapping[str, str]) -> dict[str, Any]:
    """ARI, NMI (noise = one more label), ARI without noise, purity, over labelled accounts."""
    from insta_kedro.personas.validation import agreement

    accounts = sorted(a for a in kinds if a in clusters)
    scores: dict[str, Any] = {
        "accounts": len(accounts),
        "ari": None,
        "nmi": None,
        "ari_clustered": None,
        "purity": purity(clusters, kinds),
        "purity_strict": purity(clusters, kinds, strict=True),
        "clusters_among_labelled": len({clusters[a] for a in accounts} - {NOISE}),
    }
    if accounts:
        labels = np.array([clusters[a] for a in accounts], dtype=int)
        truth = np.array([kinds[a] for a in accounts], dtype=object)
        found = agreement(labels, truth) or {}
        scores.update({key: found.get(key) for key in ("ari", "nmi", "ari_clustered")})
    return scores


def bootstrap_intervals(
    rankings: Mapping[str, Ranking],
    clusters: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
    draws: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, tuple[float, float] | None]:
    """Percentile bootstrap intervals of the top-1 and top-3 accuracy and of the persona ARI
    (noise = a label): the labelled accounts present are drawn ``draws`` times with
    replacement (seeded), each draw scored as the whole set is (the ARI over the draw's
    distinct accounts). How far the figures could move on another set of accounts of the same
    kinds. None for a figure with no account."""
    from sklearn.metrics import adjusted_rand_score

    accounts = [a for a in labels if a in rankings]
    if not accounts:
        return {"top1_accuracy": None, "top3_accuracy": None, "persona_ari": None}
    hits = {
        k: np.array([top_k_hit(rankings[a], labels[a], k) for a in accounts], dtype=float)
        for k in (1, 3)
    }
    kinds = true_kinds(labels)
    clustered = [i for i, a in enumerate(accounts) if a in clusters]
    found = np.array([clusters[accounts[i]] for i in clustered], dtype=int)
    truth = np.array([kinds[accounts[i]] for i in clustered], dtype=object)
    rng = np.random.default_rng(seed)
    tails = (100 * (1 - level) / 2, 100 * (1 + level) / 2)

    def interval(values: list[float]) -> tuple[float, float]:
        low, high = np.percentile(values, tails)
        return float(low), float(high)

    rows = rng.integers(0, len(accounts), size=(draws, len(accounts)))
    result: dict[str, tuple[float, float] | None] = {
        "top1_accuracy": interval(hits[1][rows].mean(axis=1).tolist()),
        "top3_accuracy": interval(hits[3][rows].mean(axis=1).tolist()),
        "persona_ari": None,
    }
    if len(clustered) > 1:
        # Each draw's distinct accounts only: a duplicate pair always agrees with itself
        # (same persona, same kind), which would lift the ARI of every draw.
        picks = [np.unique(p) for p in rng.integers(0, len(clustered), (draws, len(clustered)))]
        result["persona_ari"] = interval(
            [float(adjusted_rand_score(truth[pick], found[pick])) for pick in picks]
        )
    return result


def confusion_table(kinds: Mapping[str, str], rankings: Mapping[str, Ranking]) -> pd.DataFrame:
    """Counts: rows = true kind, columns = predicted top interest ("(none)": no interest)."""
    rows = [
        (kind, normalize_interest(rankings[a][0][0]) if rankings[a] else NONE_LABEL)
        for a, kind in kinds.items()
        if a in rankings
    ]
    if not rows:
        return pd.DataFrame(dtype=int)
    frame = pd.DataFrame(rows, columns=["kind", "predicted"])
    return pd.crosstab(frame["kind"], frame["predicted"]).rename_axis(index=None, columns=None)


def account_rows(
    rankings: Mapping[str, Ranking],
    clusters: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
    top_n: int = 3,
    thin: Collection[str] = (),
) -> list[dict[str, Any]]:
    """One row per labelled account present in ``rankings``: labels, top interests, verdicts,
    and whether its top interest is marked as thin evidence (in ``thin``)."""
    return [
        {
            "account": account,
            "labels": list(labels[account]),
            "top": [(c, round(w, 4)) for c, w in rankings[account][:top_n]],
            "cluster": clusters.get(account),
            "top1_right": top_k_hit(rankings[account], labels[account], 1),
            "top3_right": top_k_hit(rankings[account], labels[account], 3),
            "thin": account in thin,
        }
        for account in sorted(labels)
        if account in rankings
    ]


def evaluate(
    rankings: Mapping[str, Ranking],
    clusters: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
    thin: Collection[str] = (),
) -> dict[str, Any]:
    """Every figure of the report, from the product's rankings and clusters and the labels;
    ``thin``: the accounts whose top interest the product marks as thin evidence."""
    kinds = true_kinds(labels)
    present = [a for a in labels if a in rankings]
    return {
        "accounts": len(rankings),
        "labelled_accounts": len(labels),
        "labelled_present": len(present),
        "labelled_missing": sorted(a for a in labels if a not in rankings),
        "top1_accuracy": interest_accuracy(rankings, labels, 1),
        "top3_accuracy": interest_accuracy(rankings, labels, 3),
        "by_support": accuracy_by_support(rankings, labels, thin),
        "without_interest": sorted(a for a in present if not rankings[a]),
        "persona": persona_scores(clusters, kinds),
        "noise_share_labelled": noise_share(clusters, present),
        "noise_share_all": noise_share(clusters),
        "persona_clusters": len(set(clusters.values()) - {NOISE}),
        "intervals": bootstrap_intervals(rankings, clusters, labels),
    }


def refit_personas(
    user_features: pd.DataFrame,
    clustering: Mapping[str, Any],
    labels: Mapping[str, Sequence[str]],
    subsets: Sequence[Collection[str]],
) -> dict[str, Any]:
    """The personas refitted on each subset of the profiles of ``user_features`` in turn, as
    the pipeline fits them (``personas.cluster_people_by_validity`` with the clustering
    parameters ``clustering``, ``auto`` resolved and searched for the people kept): per refit
    the labelled accounts' noise share and persona ARI (noise = a label), and their mean, 10th
    percentile, worst and count past 20 % noise / below 0.5 ARI."""
    from insta_kedro import personas

    params = personas.ClusteringParams(**clustering).model_dump()
    kinds = true_kinds(labels)
    noise, ari = [], []
    for subset in subsets:
        kept = user_features[user_features["profile"].isin(subset)].reset_index(drop=True)
        frame, _ = personas.cluster_people_by_validity(kept, params)
        clusters = dict(
            zip(frame["profile"].astype(str), frame["cluster"].astype(int), strict=True)
        )
        noise.append(noise_share(clusters, [a for a in kinds if a in clusters]))
        ari.append(persona_scores(clusters, kinds)["ari"])
    noise_values = np.array([v for v in noise if v is not None], dtype=float)
    ari_values = np.array([v for v in ari if v is not None], dtype=float)

    def summary(values: np.ndarray, worst: str) -> dict[str, float | None]:
        if not values.size:
            return {"mean": None, "p10": None, worst: None}
        extreme = values.max() if worst == "max" else values.min()
        low = np.percentile(values, 90 if worst == "max" else 10)
        return {"mean": float(values.mean()), "p10": float(low), worst: float(extreme)}

    return {
        "refits": len(subsets),
        "noise_share_labelled": {
            **summary(noise_values, "max"),
            "above_0.2": int((noise_values > 0.2).sum()),
        },
        "persona_ari": {**summary(ari_values, "min"), "below_0.5": int((ari_values < 0.5).sum())},
    }


def leave_one_out(
    user_features: pd.DataFrame,
    clustering: Mapping[str, Any],
    labels: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """:func:`refit_personas` without each profile of ``user_features`` in turn."""
    profiles = list(user_features["profile"].astype(str))
    subsets = [[p for p in profiles if p != left_out] for left_out in profiles]
    return refit_personas(user_features, clustering, labels, subsets)


def subsamples(
    user_features: pd.DataFrame,
    clustering: Mapping[str, Any],
    labels: Mapping[str, Sequence[str]],
    fraction: float,
    draws: int,
    seed: int = 0,
) -> dict[str, Any]:
    """:func:`refit_personas` on ``draws`` random subsets of the profiles (seeded): each keeps
    ``fraction`` of the labelled accounts and the same fraction of the others, drawn without
    replacement; another set of accounts of the same kinds, as far as these data can give
    one."""
    rng = np.random.default_rng(seed)
    profiles = list(user_features["profile"].astype(str))
    labelled = [p for p in profiles if p in labels]
    others = [p for p in profiles if p not in labels]
    subsets = [
        [
            *rng.choice(labelled, round(len(labelled) * fraction), replace=False),
            *rng.choice(others, round(len(others) * fraction), replace=False),
        ]
        for _ in range(draws)
    ]
    found = refit_personas(user_features, clustering, labels, subsets)
    return {"fraction": fraction, **found}


def refit_lines(title: str, found: Mapping[str, Any]) -> str:
    """The report's lines of :func:`refit_personas` under ``title``."""
    noise, ari = found["noise_share_labelled"], found["persona_ari"]
    return (
        f"{title} ({found['refits']} refits of the personas):\n"
        f"- noise share, labelled accounts: mean {_figure(noise['mean'])}, "
        f"9 in 10 at most {_figure(noise['p10'])}, at most {_figure(noise['max'])}, "
        f"above 0.2 in {noise['above_0.2']}\n"
        f"- persona ARI (noise = a label): mean {_figure(ari['mean'])}, "
        f"9 in 10 at least {_figure(ari['p10'])}, at worst {_figure(ari['min'])}, "
        f"below 0.5 in {ari['below_0.5']}"
    )


# --------------------------------------------------------------------------- formatting


def _figure(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "right" if value else "wrong"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int]) -> str:
    """A pipe table like the other benchmarks print (columns in ``numeric`` right-aligned)."""
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append(
        "|" + "|".join("---:" if i in numeric else "---" for i in range(len(headers))) + "|"
    )
    lines += ["| " + " | ".join(_figure(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def report(
    metrics: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    confusion: pd.DataFrame,
    clusters: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
) -> str:
    persona = metrics["persona"]
    intervals = metrics.get("intervals") or {}

    def spread(key: str) -> str:
        bounds = intervals.get(key)
        return "—" if bounds is None else f"{bounds[0]:.2f}–{bounds[1]:.2f}"

    summary = [
        ("accounts in the outputs", metrics["accounts"], ""),
        (
            "labelled accounts present",
            f"{metrics['labelled_present']} / {metrics['labelled_accounts']}",
            "",
        ),
        ("top-1 interest accuracy", metrics["top1_accuracy"], spread("top1_accuracy")),
        ("top-3 interest accuracy", metrics["top3_accuracy"], spread("top3_accuracy")),
        *(
            (
                f"top-1, {name} ({group['accounts']} accounts)",
                group["top1_accuracy"],
                "",
            )
            for name, group in (
                ("top interest well supported", metrics["by_support"]["supported"]),
                ("top interest marked thin evidence", metrics["by_support"]["thin"]),
            )
        ),
        ("persona ARI (noise = a label)", persona["ari"], spread("persona_ari")),
        ("persona NMI (noise = a label)", persona["nmi"], ""),
        ("persona ARI without noise", persona["ari_clustered"], ""),
        ("persona purity (noise left out)", persona["purity"], ""),
        ("persona purity, strict (noise = misplaced)", persona["purity_strict"], ""),
        ("noise share, labelled accounts", metrics["noise_share_labelled"], ""),
        ("noise share, all accounts", metrics["noise_share_all"], ""),
        ("persona clusters (all accounts)", metrics["persona_clusters"], ""),
        ("persona clusters among labelled", persona["clusters_among_labelled"], ""),
    ]
    parts = [
        markdown_table(["metric", "value", "95 % bootstrap interval"], summary, {1, 2}),
        "(intervals: the labelled accounts drawn 2,000 times with replacement; how far each "
        "figure could move on other accounts of the same kinds)",
    ]
    if metrics["labelled_missing"]:
        parts.append(
            "labelled accounts missing from the outputs: " + ", ".join(metrics["labelled_missing"])
        )
    if metrics["without_interest"]:
        parts.append(
            "labelled accounts without any interest: " + ", ".join(metrics["without_interest"])
        )

    parts.append("Per labelled account (top-3 interests with their weights):")
    parts.append(
        markdown_table(
            ["account", "labels", "top-3 predicted", "cluster", "top-1", "top-3", "evidence"],
            [
                (
                    row["account"],
                    ", ".join(row["labels"]),
                    ", ".join(f"{c} {w:.2f}" for c, w in row["top"]) or NONE_LABEL,
                    row["cluster"],
                    row["top1_right"],
                    row["top3_right"],
                    "thin" if row["thin"] else "",
                )
                for row in rows
            ],
            {3},
        )
    )

    parts.append("Confusion (rows: true kind = first label, columns: predicted top interest):")
    if confusion.empty:
        parts.append("(no labelled account in the outputs)")
    else:
        columns = list(confusion.columns)
        table_rows = [
            (kind, *confusion.loc[kind].tolist(), int(confusion.loc[kind].sum()))
            for kind in confusion.index
        ]
        table_rows.append(("total", *confusion.sum().tolist(), int(confusion.to_numpy().sum())))
        parts.append(
            markdown_table(
                ["kind \\ predicted", *columns, "total"],
                table_rows,
                set(range(1, len(columns) + 2)),
            )
        )

    if clusters:
        kinds = true_kinds(labels)
        parts.append("Persona clusters (labelled members with their kind):")
        sizes = Counter(clusters.values())
        parts.append(
            markdown_table(
                ["cluster", "accounts", "labelled members"],
                [
                    (
                        cluster,
                        sizes[cluster],
                        ", ".join(
                            f"{a} ({kinds[a]})"
                            for a in sorted(clusters)
                            if clusters[a] == cluster and a in kinds
                        ),
                    )
                    for cluster in sorted(sizes)
                ],
                {0, 1},
            )
        )
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- the run


def prepare_project(folder: Path) -> Path:
    """A copy of the project configuration in ``folder`` (its data/ kept when reused)."""
    folder = folder.resolve()
    if folder == ROOT or folder in ROOT.parents:
        raise SystemExit(f"error: --keep {folder} would run in the repository itself")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).is_file():
        raise SystemExit(f"error: --keep {folder} is not empty and was not made by this script")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("a throw-away Kedro project of benchmarks/real_accounts.py\n")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.rmtree(folder / "conf" / "base", ignore_errors=True)
    shutil.copytree(ROOT / "conf" / "base", folder / "conf" / "base")
    for name in ("conf/local", "src", "data"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "logging.yml").write_text(LOGGING_YML)
    return folder


def run_pipelines(project: Path, download: Path, pipelines: list[str] | None) -> float:
    """Run ``pipelines`` (None: the default pipeline) in a KedroSession; wall seconds."""
    os.chdir(project)
    os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KEDRO_LOGGING_CONFIG", str(project / "logging.yml"))
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlflow.db'}"
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    params = {"ingestion": {"source": "folder", "folder": str(download)}}
    start = time.perf_counter()
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        session.run(pipeline_names=pipelines)
    return time.perf_counter() - start


def read_outputs(
    project: Path,
) -> tuple[dict[str, Ranking], dict[str, int], set[str], list[str]]:
    """Rankings and clusters of the run, the profiles whose top interest is marked thin
    evidence, and notes on anything odd in the outputs."""
    notes = []
    thin: set[str] = set()
    characterizations = None
    if (project / CHARACTERIZATIONS).is_file():
        characterizations = json.loads((project / CHARACTERIZATIONS).read_text())
    clusters: dict[str, int] = {}
    if (project / USER_CLUSTERS).is_file():
        frame = pd.read_parquet(project / USER_CLUSTERS, columns=["profile", "cluster"])
        clusters = dict(
            zip(frame["profile"].astype(str), frame["cluster"].astype(int), strict=True)
        )
    if characterizations is not None:
        rankings = rankings_from_characterizations(characterizations)
        thin = thin_from_characterizations(characterizations)
        stated = clusters_from_characterizations(characterizations)
        if not clusters:
            clusters = stated
            notes.append(f"{USER_CLUSTERS} absent: clusters from user_characterizations")
        differing = sorted(p for p in stated if clusters.get(p) != stated[p])
        if differing:
            notes.append(
                "persona cluster of user_characterizations differs from user_clusters for: "
                + ", ".join(differing)
            )
    elif (project / USER_FEATURES).is_file():
        rankings = rankings_from_features(pd.read_parquet(project / USER_FEATURES))
        notes.append(f"{CHARACTERIZATIONS} absent: interests from user_features")
    else:
        raise FileNotFoundError(
            f"neither {CHARACTERIZATIONS} nor {USER_FEATURES} in {project}: "
            "run the pipelines up to fusion/clustering"
        )
    if not clusters:
        notes.append("no persona clusters in the outputs: persona scores are undefined")
    return rankings, clusters, thin, notes


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def main() -> None:
    script_start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REAL_CAPTIONS / "download")
    parser.add_argument("--labels", type=Path, help="default: labels.json beside --data")
    parser.add_argument(
        "--pipelines",
        default=",".join(DEFAULT_PIPELINES),
        help="comma-separated pipeline names (default: %(default)s)",
    )
    parser.add_argument("--default", action="store_true", help="run the whole default pipeline")
    parser.add_argument("--keep", type=Path, help="run in DIR and keep its outputs")
    parser.add_argument("--no-run", action="store_true", help="with --keep: only score DIR")
    parser.add_argument(
        "--leave-one-out",
        action="store_true",
        help="also refit the personas without each account in turn",
    )
    parser.add_argument(
        "--subsample",
        type=float,
        metavar="FRACTION",
        help="also refit the personas on random subsets of this fraction of the accounts",
    )
    parser.add_argument("--draws", type=int, default=40, help="subsets of --subsample")
    parser.add_argument("--json", type=Path, help="also write the metrics to this file")
    args = parser.parse_args()
    if args.no_run and not args.keep:
        parser.error("--no-run needs --keep DIR")
    if args.subsample is not None and not 0 < args.subsample < 1:
        parser.error("--subsample takes a fraction between 0 and 1")

    download = args.data.resolve()
    labels_path = (args.labels or download.parent / "labels.json").resolve()
    if not download.is_dir():
        print(f"skipped: the real captions are not there ({download})")
        return
    if not labels_path.is_file():
        print(f"skipped: the labels are not there ({labels_path})")
        return
    labels = {
        str(a): [str(n) for n in names] for a, names in json.loads(labels_path.read_text()).items()
    }
    pipelines = (
        None if args.default else [p.strip() for p in args.pipelines.split(",") if p.strip()]
    )
    described = "the default pipeline" if pipelines is None else ", ".join(pipelines)
    json_path = args.json.resolve() if args.json else None

    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="real_accounts_")
    project = prepare_project(args.keep if args.keep else Path(scratch.name) / "project")
    payload: dict[str, Any] = {"data": str(download), "labels": str(labels_path)}
    try:
        pipeline_seconds = None
        if not args.no_run:
            print(f"running {described} on {download} in {project} …", flush=True)
            payload["pipelines"] = pipelines or "__default__"
            try:
                pipeline_seconds = run_pipelines(project, download, pipelines)
            except Exception as error:  # the report must say so, not hide it
                traceback.print_exc()
                print(f"error: the pipelines failed: {type(error).__name__}: {error}")
                payload["error"] = f"{type(error).__name__}: {error}"
                if json_path:
                    write_json(json_path, payload)
                sys.exit(1)
        rankings, clusters, thin, notes = read_outputs(project)
        metrics = evaluate(rankings, clusters, labels, thin)
        rows = account_rows(rankings, clusters, labels, thin=thin)
        confusion = confusion_table(true_kinds(labels), rankings)
        print()
        print(report(metrics, rows, confusion, clusters, labels))
        for note in notes:
            print(f"\nnote: {note}")
        if args.leave_one_out or args.subsample:
            user_features = pd.read_parquet(project / USER_FEATURES)
            clustering = yaml.safe_load((project / CLUSTERING_PARAMETERS).read_text())["clustering"]
        if args.leave_one_out:
            found = leave_one_out(user_features, clustering, labels)
            payload["leave_one_out"] = found
            print()
            print(refit_lines("Leave one account out", found))
        if args.subsample:
            found = subsamples(user_features, clustering, labels, args.subsample, args.draws)
            payload["subsamples"] = found
            print()
            print(refit_lines(f"Random {args.subsample:.0%} of the accounts", found))
        total_seconds = time.perf_counter() - script_start
        print()
        if pipeline_seconds is not None:
            print(f"pipelines ({described}): {pipeline_seconds:.1f} s wall")
        print(f"whole script: {total_seconds:.1f} s wall")
        if args.keep:
            print(f"outputs kept in {project}")
        if json_path:
            payload.update(
                metrics=metrics,
                accounts=rows,
                confusion=confusion.to_dict(orient="index"),
                notes=notes,
                pipeline_seconds=pipeline_seconds,
                total_seconds=total_seconds,
            )
            write_json(json_path, payload)
    finally:
        os.chdir(ROOT)
        if scratch is not None:
            scratch.cleanup()


if __name__ == "__main__":
    main()
