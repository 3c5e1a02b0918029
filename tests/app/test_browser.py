"""The real thing: `streamlit run` on a free localhost port, opened in headless Chromium."""

from pathlib import Path

import pytest

from insta_kedro.app.screenshots import (
    MAX_SCREENSHOT_BYTES,
    browser_available,
    chromium,
    open_page,
    save_screenshot,
    serve_app,
)

pytestmark = pytest.mark.skipif(
    not browser_available(),
    reason="needs Debian's chromium and chromium-driver: run `make browser` (or `make test`)",
)


def test_person_page_in_a_browser(project_with_outputs: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By

    with serve_app(project_with_outputs) as url, chromium() as driver:
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


def test_the_profile_picker_in_a_browser(project_with_outputs: Path):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with serve_app(project_with_outputs) as url, chromium() as driver:
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


def test_photos_of_a_live_download_outside_data_in_a_browser(
    project_with_outputs: Path, tmp_path: Path
):
    """`ingestion.instagram_folder` on another disk: the Person page drew no photo."""
    import json
    import shutil

    from selenium.webdriver.common.by import By

    data = project_with_outputs / "data"
    download = tmp_path / "disk" / "instagram"
    shutil.move(data / "01_raw" / "demo", download)
    path = data / "08_reporting" / "user_characterizations.json"
    people = json.loads(path.read_text())
    for person in people.values():
        for post in person["representative_posts"]:
            post["image_path"] = str(
                download / Path(post["image_path"]).relative_to("data/01_raw/demo")
            )
    path.write_text(json.dumps(people))
    report = data / "08_reporting" / "ingestion_report.json"
    report.write_text(
        json.dumps(
            {**json.loads(report.read_text()), "source": "instaloader", "folder": str(download)}
        )
    )

    with serve_app(project_with_outputs) as url, chromium() as driver:
        open_page(driver, f"{url}/person?profile=anna.cooks")
        images = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stImage"] img')
        assert len(images) == 3, driver.find_element(By.CSS_SELECTOR, "main").text
        assert all(
            driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)
            for i in images
        )


def test_circle_page_of_a_partial_list_and_of_refused_lists_in_a_browser(
    project_with_outputs: Path,
):
    """anna.cooks' follower list names 2 of the 2,500,000 followers her profile shows (cut at
    ingestion.max_follows); Instagram refused both lists of ben_hikes. The page says each."""
    import json

    import pandas as pd
    from selenium.webdriver.common.by import By

    from insta_kedro.personas import circle_summary

    data = project_with_outputs / "data"
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
    report_path = data / "08_reporting" / "ingestion_report.json"
    report = json.loads(report_path.read_text())
    refused = {"followers": "unavailable", "followees": "unavailable"}
    report["profiles"]["ben_hikes"]["download"] = {"status": "ok", "follows": refused}
    report_path.write_text(json.dumps(report))

    with serve_app(project_with_outputs) as url, chromium() as driver:
        open_page(driver, f"{url}/circle?profile=anna.cooks")
        main = driver.find_element(By.CSS_SELECTOR, "main").text
        assert "2 of 2" in main  # both followers the list names were downloaded
        assert "The list holds 2 of the 2,500,000 followers the profile shows" in main

        open_page(driver, f"{url}/circle?profile=ben_hikes")
        main = driver.find_element(By.CSS_SELECTOR, "main").text
        assert "Instagram refused the followees and followers lists of ben_hikes" in main
        assert "download_follows" not in main
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
