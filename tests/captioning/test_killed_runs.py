"""A caption model training survives a SIGKILL at any moment: the rerun resumes after the
last finished epoch and never reads a half-written checkpoint.

Each training is a process of its own, killed with SIGKILL at a chosen point (held there
until the kill, so the point is exact), then run again to the end. Every process logs the
epochs it begins and ends (after the checkpoint of that epoch is written) to one file.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.killing import kill, wait_until

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EPOCHS = 5

# argv: checkpoint folder, epoch log, where to stop ("third-checkpoint", "fingerprint" or
# "never"), the run's name. The stop points hold the process, by a sleep, within the write of
# the third epoch's checkpoint (half of it written) or within a rewrite of the checkpoint's
# fingerprint file (emptied). The last line of the output is the training's summary.


WORKER = """
import json, os, pathlib, sys, time

import keras
import numpy as np

from insta_kedro.captioning.examples import prepare_examples, training_vocabulary
from insta_kedro.captioning.training import fit_caption_model
from tests.captioning.conftest import TINY_PARAMS, synthetic_features, synthetic_posts

checkpoint_dir, log, stop, name = sys.argv[1:5]
if stop == "third-checkpoint":
    savez = np.savez
    written = []

    def savez_half_then_hold(file, **arrays):
        savez(file, **arrays)
        written.append(file)
        if len(written) == 3:
            os.truncate(file, os.path.getsize(file) // 2)
            time.sleep(600)

    np.savez = savez_half_then_hold
if stop == "fingerprint":
    write_text = pathlib.Path.write_text

    def empty_fingerprint_then_hold(self, *args, **kwargs):
        if self.name == "fingerprint.txt":
            self.open("w").close()
            time.sleep(600)
        return write_text(self, *args, **kwargs)

    pathlib.Path.write_text = empty_fingerprint_then_hold


class EpochLog(keras.callbacks.Callback):
    def write(self, line):
        with open(log, "a") as stream:
            stream.write(f"{name} {line}\\n")

    def on_epoch_begin(self, epoch, logs=None):
        self.write(f"begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.write(f"end {epoch}")


params = {
    **TINY_PARAMS,
    "checkpoint_dir": checkpoint_dir,
    "epochs": int(sys.argv[5]),
    "early_stopping_patience": 100,
    "packed_training": True,
    "fused_lstm": False,
}
posts = synthetic_posts()
examples, _ = prepare_examples(
    posts, synthetic_features(posts), val_fraction=0.15, test_fraction=0.2, seed=1
)
vocab = training_vocabulary(examples, params["min_char_count"], params["max_len"])
_, history = fit_caption_model(examples, vocab, params, extra_callbacks=(EpochLog(),))
print(json.dumps({k: history[k] for k in ("epochs_run", "resumed_at_epoch", "epochs")}))
"""


def start_worker(tmp_path: Path, name: str, stop: str) -> subprocess.Popen:
    """Start a training run in a new process; its output goes to ``<name>.log``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    args = [str(tmp_path / "checkpoint"), str(tmp_path / "epochs.log"), stop, name, str(EPOCHS)]
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        cwd=tmp_path,
        env=env,
        stdout=(tmp_path / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT,
    )


def epoch_log(tmp_path: Path, run: str, event: str) -> list[int]:
    """The epochs ``run`` logged as begun (``event="begin"``) or ended (``"end"``)."""
    path = tmp_path / "epochs.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [int(line.split()[2]) for line in lines if line.split()[:2] == [run, event]]


def checkpointed_epochs(tmp_path: Path) -> int:
    """How many epochs the checkpoint holds (it must load whole)."""
    with np.load(tmp_path / "checkpoint" / "training.npz") as saved:
        return len(json.loads(str(saved["epochs"])))


def test_killed_trainings_resume_after_the_last_finished_epoch(tmp_path):
    checkpoint = tmp_path / "checkpoint"

    # 1. killed halfway through the third epoch's checkpoint: the file of two epochs stays
    first = start_worker(tmp_path, "first", "third-checkpoint")
    wait_until(
        lambda: (
            epoch_log(tmp_path, "first", "end") == [0, 1]
            and (checkpoint / "training.npz.partial.npz").exists()
        ),
        first,
        tmp_path / "first.log",
    )
    kill(first)
    assert checkpointed_epochs(tmp_path) == 2

    # 2. killed while the resumed run writes the checkpoint's fingerprint, or, where it
    # does not rewrite a fingerprint that is already there, in its first resumed epoch
    second = start_worker(tmp_path, "second", "fingerprint")
    wait_until(
        lambda: (
            (checkpoint / "fingerprint.txt").stat().st_size == 0
            or epoch_log(tmp_path, "second", "begin")
        ),
        second,
        tmp_path / "second.log",
    )
    kill(second)
    finished = checkpointed_epochs(tmp_path)
    assert finished >= 2  # nothing finished is lost
    assert epoch_log(tmp_path, "second", "begin")[:1] in ([], [2])

    # 3. the rerun trains only the epochs no checkpoint holds, and marks the training finished
    third = start_worker(tmp_path, "third", "never")
    assert third.wait(timeout=300) == 0, (tmp_path / "third.log").read_text()[-3000:]
    history = json.loads((tmp_path / "third.log").read_text().strip().splitlines()[-1])
    assert epoch_log(tmp_path, "third", "begin") == list(range(finished, EPOCHS))
    assert history["resumed_at_epoch"] == finished and history["epochs_run"] == EPOCHS
    assert all(np.isfinite(history["epochs"]["loss"]))
    assert (checkpoint / "finished").exists()  # kept, marked finished, until other data come
    assert not list(checkpoint.glob("*.partial*"))  # no partial file left behind
