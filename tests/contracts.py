"""Columns of the datasets DESIGN.md fixes, as the tests check them: written here, not taken
from the code, so that a test compares the code with the contract."""

GENERATED_CAPTIONS_COLUMNS = [
    "post_id",
    "generated_caption",
    "mean_log_prob",
    "decoder",
    "image_encoder",
]
"""``generated_captions``: DESIGN.md's columns, then ``image_encoder`` (what the image features
of each post came from)."""
