"""Start a training run as its own process, so it outlives the dashboard and the SSH session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tui_gan.cli.options import TrainArgs

TRAIN_NICENESS = 5


def spawn_train(args: TrainArgs) -> subprocess.Popen:
    """`tui-gan train` in a new session: no SIGHUP from this terminal, output to train.log."""
    run_dir = args.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "train.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_gan", "train", *args.to_argv()],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    _lower_priority(proc.pid)
    return proc


def _lower_priority(pid: int) -> None:
    # A little below the dashboard's priority: on a CPU box training takes every core, and
    # a key press must still reach the screen at once. On a GPU it costs nothing. Set after
    # the start (not in preexec_fn, which is unsafe once the app runs threads).
    try:
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + TRAIN_NICENESS)
    except OSError:
        pass


def last_log_line(run_dir: Path) -> str:
    """The last line of train.log: why a run that never started died."""
    try:
        lines = (run_dir / "train.log").read_text(errors="replace").strip().splitlines()
    except FileNotFoundError:
        return "the training process exited before writing anything"
    return lines[-1] if lines else "the training process exited before writing anything"


REPORT_TIMEOUT_S = 300


def write_report(run_dir: Path, cancelled: Callable[[], bool] = lambda: False) -> tuple[bool, str]:
    """`tui-gan report RUN_DIR` in a child process (matplotlib stays out of the dashboard,
    and a crash there cannot take the screen down): whether it worked, and its last line.
    Polled, so a dashboard that quits meanwhile kills it instead of waiting for it."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_gan", "report", str(run_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except OSError as err:
        return False, f"cannot start tui-gan report: {err}"
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while True:
        try:
            out, _ = proc.communicate(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            if cancelled() or time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                why = "cancelled" if cancelled() else f"stopped after {REPORT_TIMEOUT_S}s"
                return False, f"the report was {why}"
    lines = out.decode(errors="replace").strip().splitlines()
    return proc.returncode == 0, lines[-1] if lines else f"exit code {proc.returncode}"
