"""MatplotlibDataset: matplotlib.MatplotlibDataset's image of a figure, which appears at its
path only once it is whole; a list or dict of figures saved as kedro-datasets saves it."""

import matplotlib.pyplot as plt
import pytest
from kedro.io.core import DatasetError
from kedro_datasets.matplotlib import MatplotlibDataset as KedroMatplotlibDataset

from insta_kedro.kedro_ext.matplotlib_dataset import MatplotlibDataset


def curve(values):
    figure, axes = plt.subplots(figsize=(2, 2))
    axes.plot(values)
    return figure


def test_writes_the_image_kedro_datasets_writes(tmp_path):
    save_args = {"dpi": 50, "metadata": {"Software": None}}
    ours = MatplotlibDataset(filepath=str(tmp_path / "ours.png"), save_args=save_args)
    theirs = KedroMatplotlibDataset(filepath=str(tmp_path / "theirs.png"), save_args=save_args)

    ours.save(curve([3, 1, 2]))
    theirs.save(curve([3, 1, 2]))

    assert (tmp_path / "ours.png").read_bytes() == (tmp_path / "theirs.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.png", "theirs.png"]


def test_a_disk_full_half_way_leaves_the_previous_image(tmp_path, full_disk):
    ours = MatplotlibDataset(filepath=str(tmp_path / "ours.png"))
    theirs = KedroMatplotlibDataset(filepath=str(tmp_path / "theirs.png"))
    for dataset in (ours, theirs):
        dataset.save(curve([1, 2]))
    previous = (tmp_path / "ours.png").read_bytes()
    with full_disk():
        for dataset in (ours, theirs):
            with pytest.raises(DatasetError, match="No space left"):
                dataset.save(curve([2, 1, 3]))

    assert (tmp_path / "ours.png").read_bytes() == previous
    assert len((tmp_path / "theirs.png").read_bytes()) < len(previous)  # cut short
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours.png", "theirs.png"]


@pytest.mark.parametrize("figures", ["list", "dict"])
def test_several_figures_are_a_folder_of_images_as_kedro_datasets_saves_them(tmp_path, figures):
    plots = [curve([1, 2]), curve([2, 1])]
    data = plots if figures == "list" else {"a.png": plots[0], "b.png": plots[1]}
    dataset = MatplotlibDataset(filepath=str(tmp_path / "plots"))

    dataset.save(data)

    names = ["0.png", "1.png"] if figures == "list" else ["a.png", "b.png"]
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == names
    assert [p.name for p in tmp_path.iterdir()] == ["plots"]
