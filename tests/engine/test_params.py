"""The typed ``engine`` parameters: the shipped ones, and errors naming the bad setting."""

import pytest
from pydantic import ValidationError

from insta_kedro.engine import Engine, EngineParams
from tests.pipelines.shipped_params import raw, typed


def test_the_shipped_engine_is_local():
    assert typed(EngineParams).engine() == Engine(name="local", chunk_size=256, retries=2)


def test_a_dask_engine_with_an_address():
    params = typed(EngineParams, name="dask", dask__address="tcp://10.0.0.5:8786")
    assert params.engine() == Engine("dask", "tcp://10.0.0.5:8786", 256, 2)


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"name": "spark"}, "engine.name"),
        ({"dask__chunk_size": 0}, "engine.dask.chunk_size"),
        ({"dask__retries": -1}, "engine.dask.retries"),
        ({"dask__workers": 4}, "engine.dask.workers"),
    ],
)
def test_a_bad_setting_is_named(changes, setting):
    with pytest.raises(ValidationError, match=setting.replace(".", r"\.")):
        EngineParams.model_validate(raw(EngineParams, **changes))
