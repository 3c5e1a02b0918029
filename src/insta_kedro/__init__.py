"""insta_kedro: characterize Instagram accounts from photos and captions."""

from insta_kedro.kedro_ext.library_warnings import silence_library_warnings

__version__ = "0.1.0"

silence_library_warnings()
