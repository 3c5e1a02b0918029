"""HTMLDataset: plotly.HTMLDataset's page, which appears at its path only once it is whole."""

import plotly.express as px
import pytest
from kedro.io.core import DatasetError
from kedro_datasets.plotly import HTMLDataset as KedroHTMLDataset

from insta_kedro.kedro_ext.html_dataset import HTMLDataset


def test_writes_the_page_kedro_datasets_writes(tmp_path):
    ours = HTMLDataset(filepath=str(tmp_path / "ours.html"), save_args={"div_id": "map"})
    theirs = KedroHTMLDataset(filepath=str(tmp_path / "theirs.html"), save_args={"div_id": "map"})
    figure = px.scatter(x=[0, 1, 2], y=[2, 0, 1], title="people")

    ours.save(figure)
    theirs.save(figure)

    assert (tmp_path / "ours.html").read_bytes() == (tmp_path / "theirs.html").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.html", "theirs.html"]


def test_a_disk_full_half_way_leaves_the_previous_page(tmp_path, full_disk):
    ours = HTMLDataset(filepath=str(tmp_path / "ours.html"))
    theirs = KedroHTMLDataset(filepath=str(tmp_path / "theirs.html"))
    for dataset in (ours, theirs):
        dataset.save(px.scatter(x=[0], y=[0], title="the previous run"))
    previous = (tmp_path / "ours.html").read_text()
    with full_disk():
        for dataset in (ours, theirs):
            with pytest.raises(DatasetError, match="No space left"):
                dataset.save(px.scatter(x=[1, 2], y=[2, 1], title="this run"))

    assert (tmp_path / "ours.html").read_text() == previous
    assert not (tmp_path / "theirs.html").read_text().rstrip().endswith("</html>")  # cut short
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.html", "theirs.html"]
