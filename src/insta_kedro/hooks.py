"""Kedro hooks: hand the Instagram login to the ingestion pipeline.

The login comes from ``conf/local/credentials.yml`` (key ``instagram``) and
reaches the pipeline as the in-memory dataset ``instagram_login``. It is never
a parameter, so kedro-mlflow never logs it, and its password is kept out of
every repr and log line.
"""

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import MemoryDataset

from insta_kedro.instaloader_download import InstagramLogin

INSTAGRAM_LOGIN_DATASET = "instagram_login"


def instagram_login_from_credentials(conf_creds: dict[str, Any]) -> InstagramLogin | None:
    """Build the login from the ``instagram`` credentials entry, or None when absent."""
    entry = (conf_creds or {}).get("instagram") or {}
    username = entry.get("username")
    if not username:
        return None
    return InstagramLogin(
        username=str(username),
        session_file=entry.get("session_file"),
        password=entry.get("password"),
    )


class InstagramCredentialsHook:
    """Registers ``instagram_login`` in the catalog once it is created."""

    @hook_impl
    def after_catalog_created(self, catalog: Any, conf_creds: dict[str, Any]) -> None:
        login = instagram_login_from_credentials(conf_creds)
        catalog[INSTAGRAM_LOGIN_DATASET] = MemoryDataset(login, copy_mode="assign")
