"""`make screenshots` (python -m insta_kedro.app.screenshots) on a project without a run."""

from pathlib import Path

import pytest

from insta_kedro.app.screenshots import main


def test_no_screenshots_of_pages_that_only_say_an_output_is_missing(
    app_project: Path, tmp_path: Path
):
    out = tmp_path / "img"
    with pytest.raises(SystemExit, match=r"no screenshots taken: .*posts, .*`make run`"):
        main(["--project", str(app_project), "--out", str(out)])
    assert not out.exists()
