"""Serve the app on a free localhost port and photograph its pages in headless Chromium.

Used by the browser test and to refresh the README's screenshots from the last ``kedro run``::

    python -m insta_kedro.app.screenshots --out docs/img     # `make screenshots`

It takes none, and exits saying which, while an output the app shows is not there.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; ``make browser`` installs them) and ``selenium``.
"""

import argparse
import contextlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

from PIL import Image

from insta_kedro.app.catalog_reader import PROJECT_PATH_ENV, CatalogReader, find_project_path

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Chromium as root in a container without network: no sandbox, no GPU, no background traffic.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
PAGES = ("overview", "person", "circle", "clusters", "caption_model", "try_photo")
MAX_SCREENSHOT_BYTES = 300_000
# True once Streamlit has run the page: a title is drawn, the script is not running and no
# element is still a placeholder.
FINISHED_JS = """
const app = document.querySelector('[data-testid="stApp"]');
return document.querySelector("h1") !== null && app !== null
    && app.getAttribute("data-test-script-state") === "notRunning"
    && document.querySelector('[data-testid="stSkeleton"]') === null;
"""
# True once the page has not changed for arguments[0] ms and its images and fonts are loaded;
# the first call starts watching the page's changes and answers false.
SETTLED_JS = """
const watch = window.__instaKedroSettle;
if (!watch) {
    const state = {last: performance.now()};
    new MutationObserver(() => { state.last = performance.now(); }).observe(
        document.documentElement,
        {subtree: true, childList: true, attributes: true, characterData: true},
    );
    window.__instaKedroSettle = state;
    return false;
}
return performance.now() - watch.last >= arguments[0]
    && Array.from(document.images).every(image => image.complete)
    && document.fonts.status === "loaded";
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def browser_available() -> bool:
    return Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()


@contextmanager
def serve_app(project_path: Path, port: int | None = None, timeout: float = 90) -> Iterator[str]:
    """``streamlit run`` the app for ``project_path`` on 127.0.0.1; yields its URL once the
    server answers. The server is killed on exit (nothing of it is kept, so it is spared
    Python's shutdown of the app's modules)."""
    port = port or free_port()
    main = find_spec("insta_kedro.app.main").origin
    command = [
        sys.executable, "-m", "streamlit", "run", main,
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = {**os.environ, PROJECT_PATH_ENV: str(project_path), "KEDRO_DISABLE_TELEMETRY": "true"}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"streamlit exited: {log.read().decode()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the app did not answer on {url} within {timeout} s")
                time.sleep(0.1)
            yield url
        finally:
            server.kill()
            server.wait()


@contextmanager
def chromium(width: int = 1280, height: int = 1400) -> Iterator:
    """A headless Chromium driven by Debian's chromedriver (no Selenium Manager download)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def settle(driver, quiet: float = 0.3, timeout: float = 5.0) -> None:
    """Wait until the page in ``driver`` has not changed for ``quiet`` seconds and its images
    and fonts are loaded (charts and images drawn), or ``timeout`` seconds have passed."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    # a page that keeps changing (an animation) is taken as it is after timeout
    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(
            lambda d: d.execute_script(SETTLED_JS, quiet * 1000)
        )


def open_page(driver, url: str, timeout: float = 120) -> None:
    """Open ``url`` in ``driver`` and wait until Streamlit has finished running the page and
    the page has settled (see :func:`settle`)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(FINISHED_JS)
    )
    settle(driver)


def save_screenshot(driver, path: Path) -> Path:
    """A PNG of the window, reduced to 256 colours so it stays small."""
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    for colors in (256, 128, 64):
        image.quantize(colors=colors).save(path, optimize=True)
        if path.stat().st_size <= MAX_SCREENSHOT_BYTES:
            break
    return path


def page_url(url: str, page: str) -> str:
    """The Overview is the default page, served at the root."""
    return url if page == "overview" else f"{url}/{page}"


def upload_photo(driver, photo: Path, timeout: float = 300) -> None:
    """Give the Try-a-photo uploader in ``driver`` the file ``photo`` and wait until the page
    shows the captions and has settled (see :func:`settle`)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.CSS_SELECTOR, 'input[type="file"]').send_keys(str(photo.resolve()))
    WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: (
            d.find_elements(By.XPATH, "//h3[contains(., 'Persona')]")
            and d.execute_script(FINISHED_JS)
        )
    )
    settle(driver)


def take_screenshots(
    project_path: Path, out_dir: Path, pages=PAGES, photo: Path | None = None
) -> list[Path]:
    """Serve the app for ``project_path`` and save ``<page>.png`` for each page (Try a photo
    after uploading ``photo`` when given)."""
    saved = []
    with serve_app(project_path) as url, chromium() as driver:
        for page in pages:
            open_page(driver, page_url(url, page))
            if page == "try_photo" and photo is not None:
                upload_photo(driver, photo)
            saved.append(save_screenshot(driver, out_dir / f"{page}.png"))
    return saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=None, help="Kedro project folder")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--pages", nargs="*", default=list(PAGES), choices=PAGES)
    parser.add_argument("--photo", type=Path, default=None, help="image for Try a photo")
    args = parser.parse_args(argv)
    project = args.project.resolve() if args.project else find_project_path()
    missing = CatalogReader(project).missing()
    if missing:
        raise SystemExit(
            f"error: no screenshots taken: {project} lacks {len(missing)} of the outputs the "
            f"app shows ({', '.join(missing)}); the pages would only say so. Run every "
            "pipeline first (`make run`, or `kedro run` in the project folder)."
        )
    for path in take_screenshots(project, args.out, args.pages, args.photo):
        print(f"{path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
