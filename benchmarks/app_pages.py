"""Benchmark of the web app's pages on the outputs of thousands of people; prints a table.

    .venv/bin/python benchmarks/app_pages.py [--posts 400000] [--posts-per-person 20]
        [--project DIR] [--keep DIR] [--baseline REV] [--browser]

Makes a project with the outputs of a large run, then runs every page on it with this
code and with the code of git revision ``--baseline`` (default ``HEAD``: the last commit), each
in a process of its own, so that both are measured in the same run on the same outputs.

The outputs: ``--posts`` synthetic posts of ``benchmarks/scale.py``'s generator (each person
``--posts-per-person`` posts, 40 % of them of the person's theme), through the domain functions
the text_features, fusion and clustering nodes call, saved through the catalog of a copy of
the project's configuration (``conf/base``), with an ingestion report of a row per profile.
The representative posts of the first 200 people (the Person page opens the first) and
the post clusters' exemplars get a small photo under ``data/01_raw/demo``; the other posts
have none, as a caption-only download. ``--keep DIR`` writes the project to DIR and keeps
it; ``--project DIR`` reuses such a project instead of making one.

Per page (Streamlit's ``AppTest``; the Clusters page with people, then with posts): the
seconds of the first run (outputs loaded), of a rerun (the median of 3, as after a click),
and the bytes the page sends (its elements' messages: the map's points, a picker's
entries). Then each output's file is touched, as a new ``kedro run`` does, and the pages run
again: the process's resident memory before and after says whether the outputs of the run
before are let go. On the Person page, the seconds and bytes of picking another profile
and, where the picker has a search box, of searching for a name. With ``--browser``, the same
pages are opened in headless Chromium (``streamlit run`` on a free port): the seconds until
the page has run and its charts and images are drawn; and on the Person page, for three
names, the seconds from typing a name until the picker lists it, then from picking it until
the page is drawn. Last, the ratio of this code to the baseline for each.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF = PROJECT_ROOT / "conf" / "base"
PAGES = ("overview", "person", "circle", "clusters people", "clusters posts")
PHOTOGRAPHED_PEOPLE = 200
RERUNS = 3
CHARACTERIZATIONS = "data/08_reporting/user_characterizations.json"


def characterizations_and_clusters(posts, profiles, follows, image_path):
    """The outputs of text_features → fusion → clustering for the synthetic posts, as the
    nodes make them (conf/base's parameters, the posts' membership vectors off as
    docs/scaling.md sets them at scale)."""
    import yaml

    from insta_kedro import fusion, personas, text
    from insta_kedro.engine import EngineParams
    from insta_kedro.kedro_ext.lazy_parquet_dataset import LazyParquetDataset

    def conf(name: str):
        return yaml.safe_load((CONF / name).read_text())

    parameters = {}
    for name in ("text_features", "fusion", "clustering", "engine"):
        parameters |= conf(f"parameters_{name}.yml")
    parameters["clustering"]["posts"]["membership"] = False
    text_params = text.TextFeaturesParams.model_validate(parameters["text_features"])
    fusion_params = fusion.FusionParams.model_validate(parameters["fusion"])
    settings = personas.ClusteringParams.model_validate(parameters["clustering"])
    engine = EngineParams.model_validate({**parameters["engine"], "name": "local"})
    lexicon, imagenet = conf("interests/lexicon.yml"), conf("interests/imagenet_categories.yml")
    categories = conf("interests/profile_categories.yml")
    import pandas as pd

    no_generated = pd.DataFrame(
        columns=["post_id", "generated_caption", "mean_log_prob", "decoder"]
    )
    no_labels = pd.DataFrame(columns=["post_id", "rank", "label", "probability"])
    captions = posts["caption"].tolist()
    topic_model = text.fit_topic_model(captions, **text_params.topics.model_dump())
    interests = text.InterestLexicon.from_config(lexicon, **text_params.interests.model_dump())
    classifier = text.fit_interest_classifier(
        captions,
        interests,
        **text_params.interest_classifier.model_dump(exclude={"weight", "min_probability"}),
    )
    text_features, _ = text.build_post_text_features(
        posts,
        no_generated,
        topic_model,
        lexicon,
        text_params.model_dump(),
        classifier,
        engine.engine("text_features"),
    )
    post_features, _, _ = fusion.build_post_features_and_model(
        posts,
        text_features,
        LazyParquetDataset(filepath=str(image_path)).load(),
        no_labels,
        imagenet,
        fusion_params.model_dump(),
        topic_model,
        lexicon,
        text_params.model_dump(),
        classifier,
    )
    person = fusion_params.person
    evidence = fusion.collect_interest_evidence(
        posts, profiles, no_labels, interests, imagenet, categories, person.evidence_top_n
    )
    user_features = fusion.build_user_features(
        posts,
        profiles,
        post_features,
        text_features,
        interests,
        categories,
        profile_category_weight=person.profile_category_weight,
        biography_weight=person.biography_weight,
        persona_weights=person.persona_weights.model_dump(),
        interest_sharpening=person.interest_sharpening,
    )
    settings = settings.model_dump()
    level = personas.post_level_params(settings, len(post_features))
    post_clusters, post_clusterer = personas.cluster_vectors(
        post_features, "post_id", level, settings["seed"], engine.engine("clustering")
    )
    user_clusters, user_clusterer = personas.cluster_people_by_validity(user_features, settings)
    descriptions = personas.cluster_profiles(
        posts,
        post_features,
        user_features,
        post_clusters,
        user_clusters,
        post_clusterer,
        user_clusterer,
        settings,
    )

    def characterize(posts):
        return personas.user_characterizations(
            posts,
            profiles,
            follows,
            post_features,
            user_features,
            user_clusters,
            descriptions,
            no_generated,
            evidence,
            settings,
        )

    return {
        "post_clusters": post_clusters,
        "user_clusters": user_clusters,
        "cluster_profiles": descriptions,
        "interest_evidence": evidence,
        "characterize": characterize,
    }


def write_photos(project: Path, posts, post_ids: set[str]):
    """A small photo for each of ``post_ids`` under ``data/01_raw/demo/<profile>/``; returns
    ``posts`` with their ``image_path`` (None for the others)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    paths = {}
    for post_id, profile in zip(posts["post_id"], posts["profile"], strict=True):
        if post_id in post_ids:
            photo = project / "data" / "01_raw" / "demo" / profile / f"{post_id}.jpg"
            photo.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (96, 96), tuple(int(v) for v in rng.integers(0, 256, 3))).save(photo)
            paths[post_id] = str(photo.relative_to(project))
    return posts.assign(image_path=posts["post_id"].map(paths))


def make_project(project: Path, count: int, posts_per_person: int, seed: int) -> None:
    """A copy of the project's configuration at ``project`` with the outputs of a run on
    ``count`` synthetic posts, saved through its catalog."""
    sys.path.insert(0, str(Path(__file__).parent))
    import scale

    from insta_kedro.app.catalog_reader import CatalogReader

    shutil.copy(PROJECT_ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(CONF, project / "conf" / "base")
    for folder in ("conf/local", "src", "data/04_feature"):
        (project / folder).mkdir(parents=True, exist_ok=True)
    image_path = project / "data" / "04_feature" / "image_features.parquet"
    posts, _, profiles, follows, _ = scale.synthetic(
        count, 8, seed, image_path, posts_per_person, on_theme=0.4
    )
    outputs = characterizations_and_clusters(posts, profiles, follows, image_path)
    characterize = outputs.pop("characterize")
    shown = {e for c in outputs["cluster_profiles"]["posts"].values() for e in c["exemplars"]}
    for person in list(characterize(posts).values())[:PHOTOGRAPHED_PEOPLE]:
        shown |= {post["post_id"] for post in person["representative_posts"]}
    posts = write_photos(project, posts, shown)
    outputs["user_characterizations"] = characterize(posts)
    entry = {
        "files_seen": 2 * posts_per_person + 1,
        "posts_parsed": posts_per_person,
        "posts_with_caption": posts_per_person,
        "skipped": {},
        "skipped_files": {},
        "ignored_files": {"id_file": 1},
        "warnings": {},
    }
    outputs["ingestion_report"] = {
        "source": "demo",
        "profiles": {profile: entry for profile in profiles["profile"]},
        "totals": {"profiles": len(profiles), "posts_parsed": count, "skipped": {}},
    }
    outputs |= {"posts": posts, "profiles": profiles, "follows": follows}
    catalog = CatalogReader(project).catalog
    for name, value in outputs.items():
        catalog.save(name, value)


def peak_and_current_rss_mib() -> tuple[float, float]:
    """This process's peak and current resident memory (Linux's ``VmHWM`` and ``VmRSS``)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return tuple(int(status[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS"))


def page_bytes(app) -> int:
    """The bytes of the messages of every element the page wrote."""
    from streamlit.testing.v1.element_tree import Block

    return sum(node.proto.ByteSize() for node in app._tree if not isinstance(node, Block))


def page_app(page: str):
    """An ``AppTest`` of ``page`` (``clusters posts``: the Clusters page after picking posts)."""
    from streamlit.testing.v1 import AppTest

    module = page.split(maxsplit=1)[0]
    app = AppTest.from_string(
        f"from insta_kedro.app import {module}\n{module}.render()\n", default_timeout=900
    )
    if page == "clusters posts":
        app.run()
        app.radio[0].set_value("posts")
    return app


def timed_run(app) -> float:
    started = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"the page raised: {app.exception[0].value}")
    return seconds


def measure_picking(app) -> dict:
    """On the Person page ``app`` (run once): the seconds of picking another profile (the
    median of :data:`RERUNS` picks) and the bytes the page then sends; with a search box, the
    seconds and bytes of searching for a name (None without one)."""
    picks = []
    for _ in range(RERUNS):
        app.selectbox[0].select_index(1)  # another profile, in the old picker and the new one
        picks.append(timed_run(app))
    result = {"pick_s": statistics.median(picks), "pick_bytes": page_bytes(app)}
    search = [box for box in app.text_input if box.label == "Find a profile"]
    result["search_s"] = result["search_bytes"] = None
    if search:
        search[0].input(app.selectbox[0].value[:-2])  # person000: a hundred profiles
        result["search_s"] = timed_run(app)
        result["search_bytes"] = page_bytes(app)
    return result


def measure_pages(project: Path) -> dict:
    """Per page: the first run's and a rerun's seconds and the page's bytes; the memory
    before and after the outputs are touched, as a new ``kedro run`` does."""
    os.environ["INSTA_KEDRO_PROJECT_PATH"] = str(project)
    results = {}
    for page in PAGES:
        app = page_app(page)
        first = timed_run(app)
        rerun = statistics.median(timed_run(app) for _ in range(RERUNS))
        results[page] = {"first_s": first, "rerun_s": rerun, "bytes": page_bytes(app)}
        if page == "person":
            picking = measure_picking(app)
    before = peak_and_current_rss_mib()[1]
    for path in (project / "data").glob("0[2-8]_*/*"):
        os.utime(path)  # written again by a new run
    for page in PAGES:
        timed_run(page_app(page))
    peak, after = peak_and_current_rss_mib()
    return {
        "pages": results,
        "picking": picking,
        "rss_mib": before,
        "rss_after_new_run_mib": after,
        "peak": peak,
    }


def drawn(driver) -> bool:
    """Whether the page has run and drawn its charts and images."""
    from selenium.webdriver.common.by import By

    app = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stApp"]')
    if not app or app[0].get_attribute("data-test-script-state") != "notRunning":
        return False
    if driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSkeleton"]'):
        return False
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".every(c => c.querySelector('.main-svg'))"
        " && [...document.images].every(i => i.complete)"
    )


def dropdown_names(driver) -> list[str]:
    """The options the opened picker's drop-down shows."""
    from selenium.webdriver.common.by import By

    return [option.text for option in driver.find_elements(By.CSS_SELECTOR, '[role="option"]')]


def listed_after_search(driver, name: str) -> bool:
    """Whether the picker lists ``name`` first after a search (its drop-down opened and left
    open when it does, closed again when not)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    picker = driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
    picker.click()
    names = dropdown_names(driver)
    if any(n.startswith(name) for n in names[1:2]):
        return True
    picker.send_keys(Keys.ESCAPE)
    return False


def measure_browser_picking(driver, url: str, name: str) -> dict:
    """On the Person page in Chromium: the seconds from typing ``name`` until the picker lists
    it (in the picker itself, or in the search box when there is one), then from picking it
    until the page shows it, drawn."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from insta_kedro.app.screenshots import page_url

    redrawn = (StaleElementReferenceException,)  # an element the page drew again meanwhile
    wait = WebDriverWait(driver, 900, poll_frequency=0.05, ignored_exceptions=redrawn)
    driver.get(page_url(url, "person"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "h2"))
    time.sleep(0.3)
    wait.until(drawn)
    search = driver.find_elements(By.CSS_SELECTOR, 'input[aria-label="Find a profile"]')
    started = time.perf_counter()
    if search:
        search[0].send_keys(name)
        wait.until(lambda d: listed_after_search(d, name))
    else:
        driver.find_element(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input').send_keys(name)
        wait.until(lambda d: any(n.startswith(name) for n in dropdown_names(d)[:1]))
    typed = time.perf_counter()
    if search:
        driver.find_elements(By.CSS_SELECTOR, '[role="option"]')[1].click()
    else:
        driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait.until(
        lambda d: any(h.text.startswith(name) for h in d.find_elements(By.CSS_SELECTOR, "h2"))
    )
    time.sleep(0.3)  # the script state changes a moment after the page asks
    wait.until(drawn)
    return {"typing_s": typed - started, "choosing_s": time.perf_counter() - typed}


def measure_browser(project: Path) -> dict:
    """Per page: seconds until it is drawn in headless Chromium, opened twice."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from insta_kedro.app.screenshots import chromium, page_url, serve_app

    results = {}
    with serve_app(project) as url, chromium() as driver:
        wait = WebDriverWait(driver, 900, poll_frequency=0.1)
        for page in PAGES:
            seconds = []
            for _ in range(2):
                started = time.perf_counter()
                driver.get(page_url(url, page.split(maxsplit=1)[0]))
                wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
                if page == "clusters posts":
                    wait.until(drawn)
                    started = time.perf_counter()
                    driver.find_element(By.XPATH, "//label[.//p[text()='posts']]").click()
                    wait.until(lambda d: "Posts by cluster" in d.page_source)
                time.sleep(0.3)  # the script state changes a moment after the page asks
                wait.until(drawn)
                seconds.append(time.perf_counter() - started)
            results[page] = {"first_s": seconds[0], "again_s": seconds[1]}
        people = sorted(json.loads(project.joinpath(CHARACTERIZATIONS).read_bytes()))
        results["picking"] = [
            measure_browser_picking(driver, url, people[len(people) * i // 4]) for i in (1, 2, 3)
        ]
    return results


def measure_in_new_process(source: Path, project: Path, browser: bool) -> dict:
    """:func:`measure_pages` (and :func:`measure_browser`) with the package of ``source``
    (a ``src`` folder), in a new process."""
    env = {**os.environ, "PYTHONPATH": str(source), "KEDRO_DISABLE_TELEMETRY": "true"}
    command = [sys.executable, __file__, "--measure", json.dumps([str(project), browser])]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"measuring {source} failed:\n{finished.stderr[-4000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def baseline_source(revision: str, folder: Path) -> Path:
    """The ``src`` folder of git ``revision``, extracted into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", revision, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(
            f"error: the baseline's code (git revision {revision!r}) cannot be read: "
            f"{archive.stderr.decode(errors='replace').strip()[-500:]}"
        )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


def ratio(now: float, before: float) -> str:
    return f"{now / before:.2f}x" if before else "—"


def seconds_and_kib(seconds: float | None, sent: int | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f} s, {sent / 1024:,.0f} KiB"


def print_picking(baseline: dict, now: dict) -> None:
    """The Person page's picker: picking another profile and searching, in AppTest; typing a
    name and choosing it, in Chromium (three names, the median)."""
    b, n = baseline["picking"], now["picking"]
    print("\nPerson's picker (base → now)")
    for what in ("pick", "search"):
        before = seconds_and_kib(b[f"{what}_s"], b[f"{what}_bytes"])
        after = seconds_and_kib(n[f"{what}_s"], n[f"{what}_bytes"])
        print(f"{what:<16}  {before:>20} → {after}")
    if "browser" in now:
        for what in ("typing_s", "choosing_s"):
            before = statistics.median(p[what] for p in baseline["browser"]["picking"])
            after = statistics.median(p[what] for p in now["browser"]["picking"])
            print(
                f"{what[:-2]} (Chromium)  {before:>8.2f} s → {after:.2f} s   {ratio(after, before)}"
            )


def print_tables(revision: str, baseline: dict, now: dict) -> None:
    header = (
        "page              first s (base → now)   rerun s (base → now)   ratio   "
        "KiB sent (base → now)"
    )
    print(f"\n{header}\n{'-' * len(header)}")
    for page in PAGES:
        b, n = baseline["pages"][page], now["pages"][page]
        print(
            f"{page:<16}  {b['first_s']:>7.2f} → {n['first_s']:>7.2f}      "
            f"{b['rerun_s']:>7.2f} → {n['rerun_s']:>7.2f}     "
            f"{ratio(n['rerun_s'], b['rerun_s']):>6}"
            f"  {b['bytes'] / 1024:>9,.0f} → {n['bytes'] / 1024:>7,.0f}"
        )
    print(
        f"\nresident MiB after every page, then after a new run's outputs "
        f"({revision} → this code): {baseline['rss_mib']:,.0f} / "
        f"{baseline['rss_after_new_run_mib']:,.0f} → {now['rss_mib']:,.0f} / "
        f"{now['rss_after_new_run_mib']:,.0f}; peak {baseline['peak']:,.0f} → {now['peak']:,.0f}"
    )
    print_picking(baseline, now)
    if "browser" in now:
        print("\nin Chromium, seconds until drawn: first / again (base → now), ratio of again")
        for page in PAGES:
            b, n = baseline["browser"][page], now["browser"][page]
            print(
                f"{page:<16}  {b['first_s']:>6.2f} / {b['again_s']:>6.2f} → "
                f"{n['first_s']:>6.2f} / {n['again_s']:>6.2f}   {ratio(n['again_s'], b['again_s'])}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400_000)
    parser.add_argument("--posts-per-person", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--project", type=Path, help="a project made before with --keep")
    parser.add_argument("--keep", type=Path, help="make the project in this folder, and keep it")
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline code")
    parser.add_argument("--browser", action="store_true", help="open the pages in Chromium too")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        project, browser = json.loads(args.measure)
        result = measure_pages(Path(project))
        if browser:
            result["browser"] = measure_browser(Path(project))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="app_pages_") as scratch:
        project = args.project
        if project is None:
            project = args.keep or Path(scratch) / "project"
            project.mkdir(parents=True, exist_ok=False)
            started = time.perf_counter()
            make_project(project, args.posts, args.posts_per_person, args.seed)
            print(f"outputs of {args.posts:,} posts made in {time.perf_counter() - started:.0f} s")
        source = baseline_source(args.baseline, Path(scratch))
        baseline = measure_in_new_process(source, project.resolve(), args.browser)
        now = measure_in_new_process(PROJECT_ROOT / "src", project.resolve(), args.browser)
        print_tables(args.baseline, baseline, now)


if __name__ == "__main__":
    main()
