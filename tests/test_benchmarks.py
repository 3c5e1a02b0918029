"""The benchmark scripts of benchmarks/ run on the current code, as docs/benchmarks.md says:
the quick ones at their smallest sizes, and the ones that need photos skip without them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *arguments: str) -> str:
    """The standard output of ``benchmarks/<script> arguments``, run with this checkout's
    src first; fails with the end of its standard error when it does not exit 0."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    finished = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *arguments],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-4000:]
    return finished.stdout


@pytest.mark.parametrize("missing", ["absent", "empty"])
def test_image_features_without_photos_skips_saying_why(tmp_path: Path, missing: str):
    data = tmp_path / missing
    if missing == "empty":
        (data / "profile").mkdir(parents=True)
    output = run_benchmark("image_features.py", "--data", str(data))
    assert output.startswith("skipped: ") and str(data) in output
    assert "--data <an instaloader download>" in output


def test_image_table_writes_the_same_table_streamed_and_whole():
    output = run_benchmark("image_table.py", "--posts", "300", "--repeats", "1")
    assert "same table in both files: True" in output
    assert "streamed / whole" in output


def test_scale_runs_every_stage_on_a_few_posts():
    output = run_benchmark(
        "scale.py", "--sizes", "1500", "--engines", "local", "--posts-per-person", "50"
    )
    row = next(line for line in output.splitlines() if line.startswith("1,500 "))
    assert row.split()[1:3] == ["local", "lazy"]


def test_text_features_reports_each_node_and_the_hashtag_baseline():
    output = run_benchmark("text_features.py", "--captions", "300")
    assert "| text_features total |" in output
    assert "wordsegment's own search" in output
    assert "source captions: " in output
