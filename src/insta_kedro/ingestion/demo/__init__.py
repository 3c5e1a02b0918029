"""A deterministic, synthetic instaloader download for the demo run, in three steps that
read in order:

- ``plan``: what the demo contains, as plain data: the six interest themes, the accounts of
  each and the owner account, the share of each kind of post, the follow graph, and the
  check of the settings (``seed``, ``n_profiles``, ``posts_per_profile``, ``image_size``).
- ``draw``: the content drawn from generators seeded with the seed and a stable key: each
  profile's counts and ids, its posts (timestamps, media ids and shortcodes, carousels and
  videos, captions in an Instagram voice, likes, alt text), and the pictures as pixels
  (``draw_theme_image``, a scene per theme, so that the themes differ visibly).
- ``write``: all of it in instaloader's layout on disk (xz-compressed post and profile
  JSON in both of instaloader's schemas, captions, JPEG images, minimal MP4 containers for
  videos, ``id``, profile picture, resume iterator, the ``followers.json`` /
  ``followees.json`` lists): ``write_demo_download`` into an empty folder,
  ``ensure_demo_download`` unless the folder already holds files.

The ground truth (the theme of every profile and post, ``demo_ground_truth``) is returned,
never written into the download folder: the pipeline saves it as the ``demo_themes``
dataset, for validation only. Same settings give byte-identical files.

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "draw": [
            "demo_ground_truth",
            "draw_theme_image",
            "mediaid_to_shortcode",
        ],
        "plan": [
            "OWNER_USERNAME",
            "THEMES",
        ],
        "write": [
            "ensure_demo_download",
            "minimal_mp4",
            "write_demo_download",
        ],
    },
)
