"""Shared fixtures: a throw-away copy of the Kedro project, the real data, drawn images."""

import gc
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import yaml
from PIL import Image

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SHARED_INSTAGRAM_DL = (PROJECT_ROOT / ".." / "shared" / "data" / "instagram-dl").resolve()


@pytest.fixture(scope="session")
def multilingual_captions() -> dict[str, dict[str, Any]]:
    """``tests/fixtures/multilingual_captions.yml``: made-up accounts, each with its
    ``language``, its ``kind`` (an interest) and ``captions`` written as Instagram users
    write them in Japanese, Chinese, Thai, Korean, English, Spanish, Portuguese, French,
    German, Italian, Indonesian and Turkish."""
    return yaml.safe_load((FIXTURES / "multilingual_captions.yml").read_text(encoding="utf-8"))


@pytest.fixture
def shared_instagram_dl() -> Path:
    """The real instaloader download shared with the project (read by path, never copied)."""
    if not SHARED_INSTAGRAM_DL.is_dir():
        pytest.skip(f"real instaloader data not found at {SHARED_INSTAGRAM_DL}")
    return SHARED_INSTAGRAM_DL


def _fused_lstm_op_builds() -> bool:
    """Whether the fused LSTM op builds here: ``False`` without a C++ compiler (the one reason
    the project accepts); a build that fails otherwise fails the test with the compiler's
    first error."""
    from insta_kedro.captioning.fused_lstm.op import CompilerNotFound, build_packed_lstm_library

    try:
        build_packed_lstm_library()
    except CompilerNotFound:
        return False
    except RuntimeError as error:
        pytest.fail(f"the fused LSTM op does not build on this machine: {error}")
    return True


@pytest.fixture
def fused_lstm_op() -> None:
    """Skips the test where the fused LSTM op cannot be built for want of a compiler."""
    if not _fused_lstm_op_builds():
        pytest.skip("the fused LSTM op needs a C++ compiler (g++), and there is none on PATH")


@pytest.fixture
def fused_lstm_op_builds() -> bool:
    """Whether training here runs the fused LSTM op (``False``: no compiler)."""
    return _fused_lstm_op_builds()


def copy_kedro_project(folder: Path) -> Path:
    """Makes ``folder``/project: the project's pyproject.toml and conf/base, an empty
    conf/local, src/ and data/; returns that project folder."""
    project = folder / "project"
    project.mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(PROJECT_ROOT / "conf" / "base", project / "conf" / "base")
    (project / "conf" / "local").mkdir()
    (project / "src").mkdir()  # the package itself is installed (editable) in .venv
    (project / "data").mkdir()
    return project


@pytest.fixture
def kedro_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's configuration in tmp_path, used as the working directory.

    Every relative path of the catalog and of MLflow (``sqlite:///mlflow.db``)
    then lands in tmp_path, never in the repository's data/ or mlflow.db.
    """
    project = copy_kedro_project(tmp_path)
    monkeypatch.chdir(project)
    # An absolute URI per test: MLflow caches stores by URI, so the relative
    # default (sqlite:///mlflow.db) would reach the first test's database.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{project / 'mlflow.db'}")
    return project


@pytest.fixture
def run_kedro(kedro_project: Path) -> Callable[..., dict[str, Any]]:
    """Run named pipelines of the temporary project in a real KedroSession."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(kedro_project)

    def run(pipeline_names: list[str] | None = None, params: dict[str, Any] | None = None):
        with KedroSession.create(project_path=kedro_project, runtime_params=params) as session:
            return session.run(pipeline_names=pipeline_names)

    return run


@pytest.fixture(scope="session")
def image_paths(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A portrait JPEG, a landscape JPEG, a PNG, then a garbage and a truncated file."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(7)
    paths = []
    for name, (height, width) in [("portrait.jpg", (300, 240)), ("wide.jpg", (180, 320))]:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / name)
        paths.append(str(folder / name))
    Image.new("RGB", (230, 230), (200, 30, 60)).save(folder / "red.png")
    paths.append(str(folder / "red.png"))
    (folder / "garbage.jpg").write_bytes(b"this is not an image")
    whole = (folder / "portrait.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    return [*paths, str(folder / "garbage.jpg"), str(folder / "truncated.jpg")]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Instagram cannot be reached: every HTTP request fails to connect (and is recorded)."""
    requested: list[str] = []

    def refuse(_adapter, request, **_kwargs):
        requested.append(request.url)
        raise requests.ConnectionError(f"Failed to resolve '{request.url}'")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    return requested


# ------------------------------------------------------------------- garbage collection
# A full garbage collection walks every object the test process holds, and Streamlit runs one
# after each script run (an AppTest's too): once TensorFlow is imported, each cost ~0.3 s.
# The objects of the modules imported so far are moved out of the collector's walks (frozen)
# between test modules, whenever many modules were imported since the last time; module-scoped
# fixtures are torn down by then, so little that later dies is frozen with them.
NEW_MODULES_TO_FREEZE = 200
_frozen = {"modules": 0}  # how many modules were imported at the last freeze


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After the last test of a module: freeze the objects alive (``gc.freeze``) when at least
    ``NEW_MODULES_TO_FREEZE`` modules were imported since the last freeze."""
    result = yield
    last_of_module = nextitem is None or nextitem.path != item.path
    if last_of_module and len(sys.modules) - _frozen["modules"] >= NEW_MODULES_TO_FREEZE:
        gc.collect()
        gc.freeze()
        _frozen["modules"] = len(sys.modules)
    return result


# ---------------------------------------------------------------------- hypothesis profiles
# `default` (plain pytest, `make test`): 150 cases per property, the same ones on every run,
# no example database. `HYPOTHESIS_PROFILE=nightly`: 2,500 fresh random cases per property; a
# failure prints its @reproduce_failure blob. No deadline: the properties write real files.
from hypothesis import settings  # noqa: E402

settings.register_profile(
    "default", max_examples=150, deadline=None, database=None, derandomize=True
)
settings.register_profile(  # derandomize=False: the re-registered default would pass on True
    "nightly", max_examples=2500, deadline=None, database=None, derandomize=False, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """instaloader's short random pause before each request (1.7 s on average) left out, for
    a live download made as a run makes it (``make_loader``'s defaults), without the waits."""
    import instaloader

    monkeypatch.setattr(instaloader.InstaloaderContext, "do_sleep", lambda _context: None)


@pytest.fixture
def fake_instagram(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Only Instagram's servers are faked (``tests.ingestion.test_download.FakeInstagram``):
    requests' HTTP transport answers from the fake, under the real instaloader."""
    from tests.ingestion.test_download import FakeInstagram

    fake = FakeInstagram()
    monkeypatch.setattr(
        requests.adapters.HTTPAdapter, "send", lambda _adapter, request, **_kw: fake.send(request)
    )
    return fake
