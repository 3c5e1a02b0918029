"""Benchmark of the first load of each web app page, as a user opening the app feels it.

    .venv/bin/python benchmarks/app_first_load.py --project DIR [--baseline REV] [--rounds 3]

``--project``: a project made by ``benchmarks/app_pages.py --keep DIR`` (the outputs of
thousands of people). Each page (Streamlit's ``AppTest``; the Clusters page with people,
then with posts), and the whole app as ``make app`` serves it (``app``: ``main.py``, which
imports every page and opens the Overview), is opened in a new process, once with the code
of git revision ``--baseline`` (default ``HEAD``) and once with this code, alternating,
``--rounds`` times: per page and code, the median seconds of the process's imports, of the
page's first run (outputs loaded) and of a click after it (a rerun), and the median peak
resident memory.
Last, the ratio of this code to the baseline for each.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from app_pages import PAGES, PROJECT_ROOT, baseline_source, page_app, peak_and_current_rss_mib

MEASURED = (*PAGES, "app")


def app_test(page: str):
    """The ``AppTest`` of ``page``; ``app``: of the app's ``main.py``."""
    if page != "app":
        return page_app(page)  # "clusters posts": run with people, then posts picked
    from importlib.util import find_spec

    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(find_spec("insta_kedro.app.main").origin, default_timeout=900)


def measure(page: str) -> dict:
    """In this process: the seconds of the imports, of ``page``'s first run and of a rerun,
    and the peak resident memory."""
    started = time.perf_counter()
    import insta_kedro.app.components  # noqa: F401
    from insta_kedro.app import caption_model, circle, clusters, overview, person  # noqa: F401

    if page == "app":
        from insta_kedro.app import try_photo  # noqa: F401
    imports = time.perf_counter() - started
    app = app_test(page)
    started = time.perf_counter()
    app.run()  # the first run with posts, for "clusters posts"
    seconds = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"the page raised: {app.exception[0].value}")
    started = time.perf_counter()
    app.run()
    rerun = time.perf_counter() - started
    return {
        "imports_s": imports,
        "first_s": seconds,
        "rerun_s": rerun,
        "peak_mib": peak_and_current_rss_mib()[0],
    }


def in_new_process(source: Path, project: Path, page: str) -> dict:
    """:func:`measure` with the package of ``source`` (a ``src`` folder) in a new process."""
    path = os.pathsep.join(p for p in (str(source), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "KEDRO_DISABLE_TELEMETRY": "true",
        "INSTA_KEDRO_PROJECT_PATH": str(project),
    }
    command = [sys.executable, __file__, "--measure", page]
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"measuring {page} with {source} failed:\n{finished.stderr[-4000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def print_table(revision: str, results: dict) -> None:
    header = (
        f"page              imports s        first run s            rerun s       "
        f"peak MiB     ({revision} → this code, medians; ratio of the first run)"
    )
    print(f"\n{header}\n{'-' * len(header)}")
    for page in MEASURED:
        base, now = results[page]["base"], results[page]["now"]

        def median(runs: list[dict], key: str) -> float:
            return statistics.median(run[key] for run in runs)

        cells = [
            f"{median(base, key):>6.2f} → {median(now, key):>5.2f}"
            for key in ("imports_s", "first_s", "rerun_s")
        ]
        ratio = median(now, "first_s") / median(base, "first_s")
        print(
            f"{page:<16}  {'   '.join(cells)}   {median(base, 'peak_mib'):>5,.0f} → "
            f"{median(now, 'peak_mib'):>5,.0f}   {ratio:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a project made by app_pages.py --keep")
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline code")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.project is None or not (args.project / "data").is_dir():
        raise SystemExit("error: --project must name a project made by app_pages.py --keep DIR")
    project = args.project.resolve()
    results = {page: {"base": [], "now": []} for page in MEASURED}
    with tempfile.TemporaryDirectory(prefix="app_first_load_") as scratch:
        sources = {
            "base": baseline_source(args.baseline, Path(scratch)),
            "now": PROJECT_ROOT / "src",
        }
        for round_ in range(args.rounds):
            for page in MEASURED:
                order = ("base", "now") if round_ % 2 == 0 else ("now", "base")
                for code in order:
                    results[page][code].append(in_new_process(sources[code], project, page))
            print(f"round {round_ + 1} of {args.rounds} done", flush=True)
    print_table(args.baseline, results)


if __name__ == "__main__":
    main()
