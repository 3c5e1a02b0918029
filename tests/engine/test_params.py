"""The typed ``engine`` parameters: the shipped ones, and errors naming the bad setting."""

import pytest
from pydantic import ValidationError

from insta_kedro.engine import Engine, EngineParams
from tests.pipelines.shipped_params import raw, typed


def test_the_shipped_engine_is_local():
    assert typed(EngineParams).engine() == Engine(
        name="local", chunk_size=256, retries=2, wait_for_workers=120
    )


def test_a_dask_engine_with_an_address():
    params = typed(EngineParams, name="dask", dask__address="tcp://10.0.0.5:8786")
    assert params.engine() == Engine("dask", "tcp://10.0.0.5:8786", 256, 2)


def test_the_stages_named_in_chunk_sizes_take_their_own():
    params = typed(EngineParams, name="dask", dask__chunk_size=100)
    assert params.engine("image_features").chunk_size == 100
    assert params.engine("text_features").chunk_size == 4096
    assert params.engine("clustering").chunk_size == 4096
    unnamed = typed(EngineParams, dask__chunk_sizes={"clustering": 7})
    assert unnamed.engine("text_features").chunk_size == 256
    assert unnamed.engine("clustering").chunk_size == 7


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"name": "spark"}, "engine.name"),
        ({"dask__chunk_size": 0}, "engine.dask.chunk_size"),
        ({"dask__retries": -1}, "engine.dask.retries"),
        ({"dask__wait_for_workers": 0}, "engine.dask.wait_for_workers"),
        ({"dask__chunk_sizes": {"text_features": 0}}, "engine.dask.chunk_sizes.text_features"),
        ({"dask__chunk_sizes": {"captions": 64}}, "engine.dask.chunk_sizes.captions"),
        ({"dask__workers": 4}, "engine.dask.workers"),
    ],
)
def test_a_bad_setting_is_named(changes, setting):
    with pytest.raises(ValidationError, match=setting.replace(".", r"\.")):
        EngineParams.model_validate(raw(EngineParams, **changes))
