"""Getting posts: instaloader's download layout, read into tables (``folder``), the live
download (``download``), the generated demo download (``demo``), and the configured source
made one instaloader folder and parsed (``sources``), and the typed ``ingestion`` parameters
(``params``).

The names below are the public API; each is imported on first use (``lazy_loader``),
so importing the package stays cheap.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "demo": [
            "ensure_demo_download",
            "write_demo_download",
        ],
        "download": [
            "Backoff",
            "InstagramLogin",
            "download_profiles",
        ],
        "folder": [
            "is_profile_folder",
            "parse_download_folder",
        ],
        "params": [
            "BackoffParams",
            "DemoParams",
            "IngestionParams",
            "Source",
            "Update",
        ],
        "sources": [
            "SOURCES",
            "acquire_download",
            "empty_profile_report",
            "has_profile_folders",
            "parse_download",
            "report_metrics",
        ],
    },
)
