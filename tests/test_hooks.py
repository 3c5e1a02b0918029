"""The Instagram login reaches the pipeline as a dataset, never as a parameter."""

from kedro.io import DataCatalog

from insta_kedro.hooks import (
    INSTAGRAM_LOGIN_DATASET,
    InstagramCredentialsHook,
    instagram_login_from_credentials,
)


def test_no_credentials_means_no_login():
    assert instagram_login_from_credentials({}) is None
    assert instagram_login_from_credentials({"instagram": {"username": ""}}) is None


def test_login_keeps_the_password_out_of_its_repr():
    login = instagram_login_from_credentials(
        {"instagram": {"username": "me", "session_file": "/tmp/s", "password": "hunter2"}}
    )
    assert login.username == "me"
    assert login.session_file == "/tmp/s"
    assert login.password == "hunter2"
    assert "hunter2" not in repr(login)


def test_hook_registers_the_login_dataset():
    catalog = DataCatalog()
    InstagramCredentialsHook().after_catalog_created(
        catalog=catalog, conf_creds={"instagram": {"username": "me"}}
    )
    assert catalog.load(INSTAGRAM_LOGIN_DATASET).username == "me"
