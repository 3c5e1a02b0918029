"""written_whole: a file appears at its path whole, or the previous one stays."""

import fsspec
import pytest

from insta_kedro.kedro_ext.whole_files import written_whole


def test_the_file_appears_only_once_the_block_ends(tmp_path):
    fs = fsspec.filesystem("file")
    path = tmp_path / "report.json"
    path.write_text("previous")

    with written_whole(fs, str(path)) as partial:
        with open(partial, "w") as file:
            file.write("new")
        assert path.read_text() == "previous"  # a reader meanwhile
        assert partial.startswith(f"{path}.partial-")

    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path):
    fs = fsspec.filesystem("file")
    path = tmp_path / "report.json"
    path.write_text("previous")

    with pytest.raises(RuntimeError, match="disk full"), written_whole(fs, str(path)) as partial:
        with open(partial, "w") as file:
            file.write("half")
        raise RuntimeError("disk full")

    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
