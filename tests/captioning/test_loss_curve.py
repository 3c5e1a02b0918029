"""The loss curve figure: train and validation loss per epoch in bits per character, the best
epoch marked, or why the model did not train."""

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from insta_kedro.captioning.loss_curve import loss_curve_figure
from insta_kedro.captioning.training_gate import not_trained_history

LN2 = math.log(2)


def history(**changes) -> dict:
    """The summary of a three-epoch training, losses in nats, best epoch 2."""
    return {
        "trained": True,
        "epochs": {"loss": [2 * LN2, 1.5 * LN2, LN2], "val_loss": [3 * LN2, 2 * LN2, 2.5 * LN2]},
        "best_epoch": 2,
        **changes,
    }


def lines_by_label(figure) -> dict:
    return {line.get_label(): line for line in figure.axes[0].get_lines()}


def test_losses_are_plotted_per_epoch_in_bits_per_character():
    lines = lines_by_label(loss_curve_figure(history()))
    assert list(lines["train"].get_xdata()) == [1, 2, 3]
    assert list(lines["train"].get_ydata()) == pytest.approx([2.0, 1.5, 1.0])
    assert list(lines["validation"].get_xdata()) == [1, 2, 3]
    assert list(lines["validation"].get_ydata()) == pytest.approx([3.0, 2.0, 2.5])


def test_the_best_epoch_is_marked_and_named_in_the_legend():
    figure = loss_curve_figure(history())
    best = lines_by_label(figure)["best epoch 2"]
    assert list(best.get_xdata()) == [2, 2]  # a vertical line at epoch 2
    axes = figure.axes[0]
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["train", "validation", "best epoch 2"]
    assert axes.get_xlabel() == "epoch" and axes.get_ylabel() == "bits per character"
    assert axes.get_title() == "caption model loss"


@pytest.mark.parametrize("best_epoch", [None, 0])
def test_without_a_best_epoch_none_is_marked(best_epoch):
    lines = lines_by_label(loss_curve_figure(history(best_epoch=best_epoch)))
    assert set(lines) == {"train", "validation"}


def test_a_training_without_validation_plots_the_training_loss_only():
    figure = loss_curve_figure(history(epochs={"loss": [LN2, LN2 / 2]}, best_epoch=None))
    lines = lines_by_label(figure)
    assert set(lines) == {"train"}
    assert list(lines["train"].get_ydata()) == pytest.approx([1.0, 0.5])


def test_missing_losses_are_left_out():
    epochs = {"loss": [LN2, LN2], "val_loss": [None, None]}
    lines = lines_by_label(loss_curve_figure(history(epochs=epochs, best_epoch=None)))
    assert set(lines) == {"train"}


def test_a_loss_missing_in_one_epoch_leaves_the_others_at_their_own_epochs():
    epochs = {"loss": [LN2, LN2, LN2], "val_loss": [None, 2 * LN2, LN2]}
    validation = lines_by_label(loss_curve_figure(history(epochs=epochs)))["validation"]
    assert list(validation.get_xdata()) == [2, 3]
    assert list(validation.get_ydata()) == pytest.approx([2.0, 1.0])


def test_a_run_that_did_not_train_shows_why_instead_of_a_curve():
    reason = "0 captioned post(s) with a usable image feature, fewer than 20 " * 2
    figure = loss_curve_figure(not_trained_history(reason.strip()))
    axes = figure.axes[0]
    assert axes.get_lines() == [] and not axes.axison
    (text,) = axes.texts
    assert text.get_text().startswith("not trained:\n0 captioned post(s)")
    written = text.get_text().split("\n")
    assert len(written) > 2 and all(len(line) <= 60 for line in written)  # wrapped
    assert " ".join(written[1:]) == reason.strip()
    assert axes.get_title() == "caption model loss"


def test_a_run_that_did_not_train_without_a_reason_still_says_so():
    figure = loss_curve_figure({"trained": False, "epochs": {}})
    assert figure.axes[0].texts[0].get_text() == "not trained:\n"


def test_the_figure_is_closed_and_can_still_be_saved(tmp_path: Path):
    for training in (history(), not_trained_history("no photo")):
        figure = loss_curve_figure(training)
        assert not plt.fignum_exists(figure.number)
        figure.savefig(tmp_path / "curve.png")
        assert (tmp_path / "curve.png").read_bytes().startswith(b"\x89PNG")


def test_a_model_trained_on_features_of_random_weights_says_so_above_its_curve():
    figure = loss_curve_figure(history(), ["vgg16-fc2-random"])
    assert "RANDOM VGG16 weights (vgg16-fc2-random)" in figure._suptitle.get_text()
    assert figure.axes[0].get_title() == "caption model loss"
    untrained = loss_curve_figure(not_trained_history("no photo"), ["vgg16-fc2-random"])
    assert "RANDOM VGG16 weights" in untrained._suptitle.get_text()
    assert loss_curve_figure(history(), ["vgg16-fc2-imagenet"])._suptitle is None
    plt.close("all")
