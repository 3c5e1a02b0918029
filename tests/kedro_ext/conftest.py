"""Fixtures of the dataset tests: a disk that fills up half way through a write or a copy."""

import errno
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fsspec.implementations.local import LocalFileOpener


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[], AbstractContextManager[None]]:
    """A context manager in which each write to a local file through fsspec writes half its
    bytes, then fails as a full disk does (``OSError`` ENOSPC, "No space left on device")."""
    write = LocalFileOpener.write

    def half_then_full(self: LocalFileOpener, data: Any) -> None:
        write(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    @contextmanager
    def filled() -> Iterator[None]:
        with monkeypatch.context() as patch:
            patch.setattr(LocalFileOpener, "write", half_then_full)
            yield

    return filled


@pytest.fixture
def copy_cut_short() -> Callable[..., None]:
    """A filesystem's ``put`` (a copy of a local file) that writes the first 100 bytes of the
    file, then fails as a full disk does."""

    def put(source: str, target: str, **_kwargs: Any) -> None:
        with open(source, "rb") as file, open(target, "wb") as copy:
            copy.write(file.read()[:100])
        raise OSError(errno.ENOSPC, "No space left on device")

    return put
