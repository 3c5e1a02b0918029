"""Library warnings a user cannot act on are dropped by exact message; others still show."""

import logging
import warnings

from insta_kedro.kedro_ext.library_warnings import LibraryWarningFilter, silence_library_warnings

RESOLVER = "register_new_resolver() is deprecated and will be removed in a future release."
PREDICT = "\x1b[33mAdd type hints to the `predict` method to enable data validation and more"


def test_the_listed_warnings_are_ignored_and_others_are_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        silence_library_warnings()
        warnings.warn(RESOLVER, UserWarning, stacklevel=1)
        warnings.warn(PREDICT, UserWarning, stacklevel=1)
        warnings.warn("register_new_resolver() is fine", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["register_new_resolver() is fine"]


def test_captured_warning_records_are_filtered_by_message():
    def record(message: str) -> logging.LogRecord:
        text = f"/x/data_validation.py:187: UserWarning: {message}\n  color_warning("
        return logging.LogRecord("py.warnings", logging.WARNING, "", 0, text, None, None)

    keep = LibraryWarningFilter().filter
    assert not keep(record(PREDICT))
    assert not keep(record(RESOLVER))
    assert keep(record("Something a user can fix"))
    silence_library_warnings()
    silence_library_warnings()
    filters = logging.getLogger("py.warnings").filters
    assert sum(isinstance(f, LibraryWarningFilter) for f in filters) == 1
