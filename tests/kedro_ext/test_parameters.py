"""What the typed parameter sections share: unknown keys refused, frozen values, one error per
union, errors named from the top of the parameters; and Kedro resolving the nodes' hints
imports no heavy library."""

import subprocess
import sys
from typing import Annotated, Literal

import pytest
from pydantic import ValidationError

from insta_kedro.kedro_ext.parameters import Count, Number, Section, Settings, one_error

Size = Annotated[
    Literal["auto"] | Count, one_error("auto_or_count", "Input should be 'auto' or an integer >= 1")
]


class Inner(Settings):
    size: Size
    share: Number


class Demo(Section):
    SECTION = "demo"

    inner: Inner
    name: str


def test_settings_are_read_and_frozen():
    demo = Demo.model_validate({"inner": {"size": "auto", "share": 1}, "name": "x"})
    assert demo.inner.size == "auto" and demo.inner.share == 1.0
    with pytest.raises(ValidationError, match="frozen"):
        demo.name = "y"


@pytest.mark.parametrize(
    ("inner", "setting"),
    [
        ({"size": True, "share": 0.5}, "size"),
        ({"size": 2.0, "share": 0.5}, "size"),
        ({"size": "2", "share": 0.5}, "size"),
        ({"size": 2, "share": True}, "share"),
        ({"size": 2, "share": "0.5"}, "share"),
    ],
)
def test_numbers_are_numbers_as_yaml_writes_them(inner, setting):
    with pytest.raises(ValidationError) as error:
        Demo.model_validate({"inner": inner, "name": "x"})
    assert [e["loc"] for e in error.value.errors()] == [("demo", "inner", setting)]


def test_an_integer_is_a_number():
    assert Demo.model_validate({"inner": {"size": 2, "share": 1}, "name": "x"}).inner.share == 1.0


def test_errors_name_every_bad_setting_from_the_top():
    with pytest.raises(ValidationError) as error:
        Demo.model_validate({"inner": {"size": 0, "share": "half", "sise": 2}})
    errors = {".".join(map(str, e["loc"])): e for e in error.value.errors()}
    assert set(errors) == {"demo.inner.size", "demo.inner.share", "demo.inner.sise", "demo.name"}
    assert errors["demo.inner.size"]["msg"] == "Input should be 'auto' or an integer >= 1"
    assert errors["demo.inner.size"]["type"] == "auto_or_count"
    assert errors["demo.inner.sise"]["type"] == "extra_forbidden"
    assert errors["demo.name"]["type"] == "missing"
    assert "\ndemo.inner.share\n  Input should be a valid number" in str(error.value)


def test_resolving_the_hints_of_the_nodes_imports_no_heavy_library():
    """Kedro resolves the type hints of every node it validates parameters for (and of every
    node of every pipeline when ``context.params`` is read alone): that imports no heavy
    library, and every pipeline's section is typed."""
    heavy = (
        "tensorflow",
        "keras",
        "mlflow",
        "hdbscan",
        "plotly",
        "streamlit",
        "matplotlib",
        "dask",
        "distributed",
    )
    script = (
        "import sys\n"
        "from kedro.validation import TypeExtractor\n"
        "from kedro.framework.project import configure_project\n"
        "configure_project('insta_kedro')\n"
        "from insta_kedro.pipeline_registry import register_pipelines\n"
        "pipelines = register_pipelines()\n"
        "found = TypeExtractor(pipelines).extract_types_from_pipelines()\n"
        "print(sorted(found))\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    sections, imported = result.stdout.strip().splitlines()[-2:]
    assert sections == (
        "['caption_model', 'clustering', 'engine', 'fusion', 'image_features', 'ingestion', "
        "'text_features']"
    )
    assert imported == "[]", result.stdout
    assert "Could not extract type hints" not in result.stdout + result.stderr
    # every node that takes a section annotates it alike (Kedro warns on each `kedro run`)
    assert "Conflicting type requirements" not in result.stdout + result.stderr
