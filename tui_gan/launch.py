"""Start a training run as its own process, so it outlives the dashboard and the SSH session."""

from __future__ import annotations

import os
import subprocess
import sys
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


def write_report(run_dir: Path) -> tuple[bool, str]:
    """`tui-gan report RUN_DIR` in a child process (matplotlib stays out of the dashboard,
    and a crash there cannot take the screen down): whether it worked, and its last line."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tui_gan", "report", str(run_dir)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=REPORT_TIMEOUT_S,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except subprocess.TimeoutExpired:
        return False, f"the report took over {REPORT_TIMEOUT_S}s and was stopped"
    except OSError as err:
        return False, f"cannot start tui-gan report: {err}"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else f"exit code {done.returncode}"
