"""insta_kedro: characterize Instagram accounts from photos and captions."""

__version__ = "0.1.0"
