"""The figure of a caption model training: its loss per epoch, or why it did not train."""

import math
from collections.abc import Mapping, Sequence
from textwrap import fill
from typing import Any

from insta_kedro.vision import encoder_warning


def loss_curve_figure(training_history: Mapping[str, Any], encoders: Sequence[str] = ()):
    """Training and validation loss per epoch, in bits per character, with the best epoch
    marked (a matplotlib figure, closed, on the Agg backend).

    Takes a training history (``fit_caption_model``'s summary: ``epochs`` with ``loss`` and
    ``val_loss`` in nats, ``best_epoch``) and the encoders of the image features trained on
    (``caption_data_report``'s ``encoders``): random VGG16 weights or mixed encoders are said
    above the plot in red (``vision.encoder_warning``). For the history of a run that did not
    train (``trained: false``), the figure says so and why (``not_trained_reason``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = training_history["epochs"]
    figure, axes = plt.subplots(figsize=(6, 4))
    caveat = encoder_warning(list(encoders), short=True)
    if caveat:
        figure.suptitle(caveat, color="tab:red", fontsize=8)
    if training_history.get("trained") is False:
        reason = training_history.get("not_trained_reason") or ""
        axes.text(0.5, 0.5, "not trained:\n" + fill(reason, 60), ha="center", va="center")
        axes.set_axis_off()
        axes.set_title("caption model loss")
        plt.close(figure)
        return figure
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        points = [
            (epoch, value / math.log(2))
            for epoch, value in enumerate(epochs.get(key, []), start=1)
            if value is not None
        ]
        if points:
            axes.plot(*zip(*points, strict=True), marker="o", label=label)
    best = training_history.get("best_epoch")
    if best and best > 0:
        axes.axvline(best, color="grey", linestyle=":", label=f"best epoch {best}")
    axes.set_xlabel("epoch")
    axes.set_ylabel("bits per character")
    axes.set_title("caption model loss")
    axes.legend()
    figure.tight_layout()
    plt.close(figure)
    return figure
