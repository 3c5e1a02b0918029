"""Fixtures of the text tests."""

from collections.abc import Callable

import pytest
from threadpoolctl import threadpool_info


@pytest.fixture
def blas_threads_in_fit(monkeypatch) -> Callable[[type], list[int]]:
    """``record(cls)``: from then on, each ``cls.fit`` call adds the BLAS libraries' thread
    counts, as they are while it runs, to the list ``record`` returns."""

    def record(cls: type) -> list[int]:
        threads: list[int] = []
        fit = cls.fit

        def recording_fit(self, *args, **kwargs):
            blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
            threads.extend(info["num_threads"] for info in blas)
            return fit(self, *args, **kwargs)

        monkeypatch.setattr(cls, "fit", recording_fit)
        return threads

    return record
