"""The docs a user follows agree with the project: every parameter of conf/base is typed and
named in the docs, every ``--params`` key the docs give exists, every catalog dataset is named
in the docs, and every link between the docs reaches an existing file and heading."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from insta_kedro.captioning.params import CaptionModelParams
from insta_kedro.engine.params import EngineParams
from insta_kedro.fusion.params import FusionParams
from insta_kedro.ingestion.params import IngestionParams
from insta_kedro.personas.params import ClusteringParams
from insta_kedro.text.params import TextFeaturesParams
from insta_kedro.vision.params import ImageFeaturesParams

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf" / "base"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TYPED = {
    model.SECTION: model
    for model in (
        CaptionModelParams,
        EngineParams,
        FusionParams,
        IngestionParams,
        ClusteringParams,
        TextFeaturesParams,
        ImageFeaturesParams,
    )
}
UNTYPED = {"app"}
"""Sections no pipeline reads (the web app reads ``app`` itself, with its own checks)."""


def parameters() -> dict[str, Any]:
    """The parameters of conf/base, every file's sections together."""
    found: dict[str, Any] = {}
    for path in sorted(CONF.glob("parameters*.yml")):
        found.update(yaml.safe_load(path.read_text()) or {})
    return found


def leaves(value: Any, path: str) -> Iterator[str]:
    """The dotted paths of the settings under ``value`` (a mapping's keys, down to values
    that are no mapping)."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from leaves(inner, f"{path}.{key}")
    else:
        yield path


def docs_text() -> str:
    """README.md and docs/*.md, one after the other."""
    return "\n".join(path.read_text() for path in DOCS)


def code_names(text: str) -> set[str]:
    """The dotted names (``a``, ``a.b_c``) written in the inline code spans of ``text``."""
    names: set[str] = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        names.update(re.findall(r"[A-Za-z_][\w.]*", span))
    return names


def test_every_section_of_the_parameters_validates_against_its_type():
    sections = parameters()
    assert set(sections) == set(TYPED) | UNTYPED
    for name, model in TYPED.items():
        model.model_validate(sections[name])  # a key with no field is refused


def test_every_parameter_is_named_in_the_docs():
    """A setting is named by its dotted path or the end of it (``users.min_cluster_size_search``
    or ``min_cluster_size_search`` on the clustering page)."""
    named = code_names(docs_text())
    unnamed = []
    for section, value in parameters().items():
        for path in leaves(value, section):
            parts = path.split(".")
            if not any(".".join(parts[i:]) in named for i in range(len(parts))):
                unnamed.append(path)
    assert unnamed == []


def test_every_parameter_the_docs_set_exists():
    known = set()
    for section, value in parameters().items():
        for path in leaves(value, section):
            parts = path.split(".")
            known.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    given = re.findall(r"--params[= ]\"?([^\"`\s]+)", docs_text())
    keys = [pair.split("=", 1)[0] for params in given for pair in params.split(",")]
    assert len(keys) >= 10
    assert sorted(key for key in keys if key not in known) == []


def test_every_catalog_dataset_is_named_in_the_docs():
    """A dataset factory (``{level}_cluster_map``) is named by a dataset it makes."""
    named = code_names(docs_text())
    entries = [
        name
        for path in sorted(CONF.glob("catalog*.yml"))
        for name in yaml.safe_load(path.read_text())
        if not name.startswith("_")
    ]
    assert len(entries) >= 20
    unnamed = []
    for entry in entries:
        pattern = re.compile(re.sub(r"\\\{\w+\\\}", r"\\w+", re.escape(entry)))
        if not any(pattern.fullmatch(name) for name in named):
            unnamed.append(entry)
    assert unnamed == []


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of ``markdown``: the heading's text lower-cased,
    without punctuation but ``-`` and ``_``, spaces as ``-``; a repeated one gets ``-1``,
    ``-2``, … ."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for heading in re.findall(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", without_code_blocks(markdown), re.M):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
        anchor = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        repeats = counts.get(anchor, 0)
        counts[anchor] = repeats + 1
        found.add(anchor if repeats == 0 else f"{anchor}-{repeats}")
    return found


def without_code_blocks(markdown: str) -> str:
    """``markdown`` with its fenced code blocks blanked, line numbers kept."""
    return re.sub(r"```.*?```", lambda block: "\n" * block[0].count("\n"), markdown, flags=re.S)


def test_anchors_follow_githubs_rules():
    markdown = "# The `caption_model`\n## A person's interests\n## Records\n### Records\n"
    assert anchors(markdown) == {
        "the-caption_model",
        "a-persons-interests",
        "records",
        "records-1",
    }


@pytest.mark.parametrize("page", DOCS, ids=lambda path: path.name)
def test_links_between_the_docs_reach_a_file_and_a_heading(page: Path):
    text = without_code_blocks(page.read_text())
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        if not linked.exists() or (
            anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text())
        ):
            broken.append(target)
    assert broken == []
