"""Helpers of the tests (and of benchmarks/faults.py) that kill a worker process with SIGKILL
and look at what it left."""

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, log: Path) -> None:
    """Poll ``condition`` until it holds; fail when ``process`` ends first or after 180 s,
    showing the end of its ``log``."""
    deadline = time.monotonic() + 180
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the worker never got there; its log:\n{log.read_text()[-3000:]}")
        time.sleep(0.02)


def kill(process: subprocess.Popen) -> None:
    """Kill ``process`` with SIGKILL and wait until it is gone."""
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def weight_set_is_whole(folder: Path) -> bool:
    """Whether the weight set ``folder`` holds its config and exactly the arrays it names
    (``insta_kedro.vision.weight_sets``' layers and initializers), each loading whole."""
    from insta_kedro.vision.weight_sets import INITIALIZERS, LAYERS_WITH_WEIGHTS

    try:
        config = json.loads((folder / "config.json").read_text())
        layers = [
            layer["config"]["name"]
            for layer in config["config"]["layers"]
            if layer["class_name"] in LAYERS_WITH_WEIGHTS
        ]
        arrays = sorted(folder.glob("*.npy"))
        expected = sorted(
            folder / f"{name}.{i}.npy" for name in layers for i in range(len(INITIALIZERS))
        )
        return arrays == expected and all(np.load(path).size for path in arrays)
    except (OSError, ValueError, KeyError):
        return False
