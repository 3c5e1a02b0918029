"""The real thing: `streamlit run` on a free localhost port, opened in headless Chromium.

One project, one server and one Chromium serve every test of this module; each test opens its
pages afresh, so none depends on another or on their order."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from insta_kedro.app.screenshots import (
    MAX_SCREENSHOT_BYTES,
    browser_available,
    chromium,
    open_page,
    save_screenshot,
    serve_app,
)
from tests.app.conftest import configure_app_project, write_outputs
from tests.conftest import copy_kedro_project

pytestmark = pytest.mark.skipif(
    not browser_available(),
    reason="needs Debian's chromium and chromium-driver: run `make browser` (or `make test`)",
)


def _move_to_live_download(project: Path, profile: str, download: Path) -> None:
    """Moves the demo photos of ``profile`` to ``download``/``profile``, as a live download
    on another disk holds them: the posts and the representative posts name the moved files,
    and the ingestion report names ``download`` as the folder instaloader read."""
    data = project / "data"
    demo = data / "01_raw" / "demo"
    download.mkdir(parents=True)
    shutil.move(demo / profile, download / profile)

    def moved(image_path: str) -> str:
        return str(download / Path(image_path).relative_to("data/01_raw/demo"))

    posts_path = data / "02_intermediate" / "posts.parquet"
    posts = pd.read_parquet(posts_path)
    own = posts["profile"] == profile
    posts.loc[own, "image_path"] = posts.loc[own, "image_path"].map(moved)
    posts.to_parquet(posts_path)
    path = data / "08_reporting" / "user_characterizations.json"
    people = json.loads(path.read_text())
    for post in people[profile]["representative_posts"]:
        post["image_path"] = moved(post["image_path"])
    path.write_text(json.dumps(people))
    report = data / "08_reporting" / "ingestion_report.json"
    report.write_text(
        json.dumps(
            {**json.loads(report.read_text()), "source": "instaloader", "folder": str(download)}
        )
    )


def _cut_follower_list(project: Path) -> None:
    """anna.cooks' follower list names 2 of the 2,500,000 followers her profile shows (cut at
    ingestion.max_follows), both downloaded."""
    from insta_kedro.personas import circle_summary

    data = project / "data"
    path = data / "08_reporting" / "user_characterizations.json"
    people = json.loads(path.read_text())
    interests = pd.DataFrame(
        {"food": [1.0, 0.2, 0.0], "music": [0.0, 0.8, 1.0]},
        index=["anna.cooks", "ben_hikes", "carla.sings"],
    )
    people["anna.cooks"]["circle"] = circle_summary(
        "anna.cooks",
        pd.read_parquet(data / "02_intermediate" / "follows.parquet"),
        interests,
        {"anna.cooks": 0, "ben_hikes": 0, "carla.sings": -1},
        lists_known={"followers": True, "followees": True},
        downloaded=set(interests.index),
        reported={"followers": 2_500_000, "followees": 0},
    )
    path.write_text(json.dumps(people))


def _refuse_follow_lists(project: Path, profile: str) -> None:
    """The ingestion report says Instagram refused both follow lists of ``profile``."""
    report_path = project / "data" / "08_reporting" / "ingestion_report.json"
    report = json.loads(report_path.read_text())
    refused = {"followers": "unavailable", "followees": "unavailable"}
    report["profiles"][profile]["download"] = {"status": "ok", "follows": refused}
    report_path.write_text(json.dumps(report))


@pytest.fixture(scope="module")
def browser_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with every output the app reads, and each case a test of this module opens:
    ben_hikes' photos in a live download outside data/ (anna.cooks' stay in data/), anna.cooks'
    follower list cut at ingestion.max_follows, both lists of ben_hikes refused."""
    folder = tmp_path_factory.mktemp("browser")
    project = configure_app_project(copy_kedro_project(folder))
    write_outputs(project)
    _move_to_live_download(project, "ben_hikes", folder / "disk" / "instagram")
    _cut_follower_list(project)
    _refuse_follow_lists(project, "ben_hikes")
    return project


@pytest.fixture(scope="module")
def url(browser_project: Path) -> Iterator[str]:
    """The URL of the app served for ``browser_project``, started in that project folder with
    its own MLflow store, as the ``kedro_project`` fixture sets them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(browser_project)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{browser_project / 'mlflow.db'}")
        with serve_app(browser_project) as served:
            yield served


@pytest.fixture(scope="module")
def module_chromium() -> Iterator:
    """One headless Chromium for the module's tests."""
    with chromium() as driver:
        yield driver


@pytest.fixture
def driver(module_chromium):
    """The module's Chromium on a blank page: whatever page the previous test left open (and
    its Streamlit session) is gone before the test opens its own."""
    module_chromium.get("about:blank")
    return module_chromium


def test_person_page_in_a_browser(url: str, driver, tmp_path: Path):
    from selenium.webdriver.common.by import By

    assert url.startswith("http://127.0.0.1:")
    open_page(driver, f"{url}/person")
    headers = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h2")]
    assert "anna.cooks (Anna Cooks)" in headers
    images = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img')
    assert len(images) == 3
    assert all(
        driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)
        for i in images
    )
    screenshot = save_screenshot(driver, tmp_path / "person.png")
    assert 0 < screenshot.stat().st_size <= MAX_SCREENSHOT_BYTES

    open_page(driver, url)  # the Overview, at the root
    assert "Overview" in driver.find_element(By.CSS_SELECTOR, "h1").text
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


def test_the_profile_picker_in_a_browser(url: str, driver):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(driver, f"{url}/person?profile=ANNA.COOKS")
    # the picker's fragment reruns as one types: an element read then may be replaced
    wait = WebDriverWait(
        driver, 60, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]
    )

    def listed() -> list[str]:
        """The picker's options, as its drop-down shows them (opened, read at once,
        closed)."""
        driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input').click()
        names = wait.until(
            lambda d: d.execute_script(
                "return Array.from(document.querySelectorAll('[role=\"option\"]'),"
                " option => option.innerText)"
            )
        )
        driver.find_element(By.CSS_SELECTOR, "h1").click()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[role="option"]'))
        return names

    assert listed() == ["anna.cooks (Anna Cooks)", "ben_hikes (Ben Hikes)", "carla.sings"]
    search = driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Find a profile"]')
    search.send_keys("hikes")  # a full name: the list narrows as one types
    wait.until(lambda d: listed() == ["anna.cooks (Anna Cooks)", "ben_hikes (Ben Hikes)"])
    headers = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h2")]
    assert "anna.cooks (Anna Cooks)" in headers  # the page still shows its profile

    driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input').click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[role="option"]'))[1].click()
    wait.until(
        lambda d: (
            "ben_hikes (Ben Hikes)" in [h.text for h in d.find_elements(By.CSS_SELECTOR, "h2")]
        )
    )
    assert driver.current_url.endswith("/person?profile=ben_hikes")  # a link to share


def test_photos_of_a_live_download_outside_data_in_a_browser(url: str, driver):
    """`ingestion.instagram_folder` on another disk: the Person page drew no photo.
    (``browser_project`` moved ben_hikes' photos there.)"""
    from selenium.webdriver.common.by import By

    open_page(driver, f"{url}/person?profile=ben_hikes")
    images = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img')
    assert len(images) == 3, driver.find_element(By.CSS_SELECTOR, "main").text
    assert all(
        driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)
        for i in images
    )


def test_circle_page_of_a_partial_list_and_of_refused_lists_in_a_browser(url: str, driver):
    """anna.cooks' follower list names 2 of the 2,500,000 followers her profile shows (cut at
    ingestion.max_follows); Instagram refused both lists of ben_hikes. The page says each.
    (``browser_project`` made both.)"""
    from selenium.webdriver.common.by import By

    open_page(driver, f"{url}/circle?profile=anna.cooks")
    main = driver.find_element(By.CSS_SELECTOR, "main").text
    assert "2 of 2" in main  # both followers the list names were downloaded
    assert "The list holds 2 of the 2,500,000 followers the profile shows" in main

    open_page(driver, f"{url}/circle?profile=ben_hikes")
    main = driver.find_element(By.CSS_SELECTOR, "main").text
    assert "Instagram refused the followees and followers lists of ben_hikes" in main
    assert "download_follows" not in main
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
