"""Helpers of the tests that kill a worker process with SIGKILL at a known point."""

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

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
