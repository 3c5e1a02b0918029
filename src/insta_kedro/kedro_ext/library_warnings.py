"""Warnings that libraries raise about their own code and that no setting of this project
changes: silenced here, and only here, each by its exact message, so any other warning still
shows.

:func:`silence_library_warnings` runs when the ``insta_kedro`` package is imported, which
Kedro's CLI does before it loads its plugins (kedro-mlflow raises one of these on load).
Python's warning filters drop them; as MLflow re-enables its own warnings around the code
that raises them, a filter on the ``py.warnings`` logger (where Kedro's logging receives
every warning) drops them there too.
"""

import logging
import re
import warnings

LIBRARY_WARNINGS = (
    # OmegaConf 2.4 deprecates the call that Kedro and kedro-mlflow make for every resolver.
    r"register_new_resolver\(\) is deprecated and will be removed in a future release",
    # MLflow 3 asks kedro-mlflow's own PythonModel subclass for type hints (message coloured).
    r"(\x1b\[33m)?Add type hints to the `predict` method to enable data validation",
)
_PATTERN = re.compile("|".join(f"(?:{message})" for message in LIBRARY_WARNINGS))


class LibraryWarningFilter(logging.Filter):
    """Drops the log records of warnings in :data:`LIBRARY_WARNINGS`."""

    def filter(self, record: logging.LogRecord) -> bool:
        # logging.captureWarnings logs "<file>:<line>: <Category>: <message>".
        text = record.getMessage()
        return not any(_PATTERN.match(part) for part in text.split("Warning: ", 1)[1:])


def silence_library_warnings() -> None:
    """Ignore each of :data:`LIBRARY_WARNINGS` (``UserWarning``s matched from the start),
    as warnings and as records of the ``py.warnings`` logger."""
    for message in LIBRARY_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    captured = logging.getLogger("py.warnings")
    if not any(isinstance(f, LibraryWarningFilter) for f in captured.filters):
        captured.addFilter(LibraryWarningFilter())
