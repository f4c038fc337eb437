"""Start a training run as its own process, so it outlives the dashboard and the SSH session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_gan.cli.options import TrainArgs
from tui_gan.engine.rundir import CLAIM_ENV, TRAIN_LOG, claim, unclaim
from tui_gan.engine.safeio import open_regular
from tui_gan.errors import TuiGanError, as_user_error, one_line
from tui_gan.safewrite import open_append

TRAIN_NICENESS = 5
LOG_TAIL = 8192


def start_trainer(
    run_dir: Path,
    argv: list[str],
    env: dict[str, str] | None = None,
    log_name: str = TRAIN_LOG,
    **popen: Any,
) -> subprocess.Popen:
    """`python -m tui_gan train ARGV` with its output appended to RUN_DIR/train.log (opened
    by the safe writer: a planted link there is refused). A new run's folder is claimed here,
    before anything is written to it, and the claim handed to the trainer (CLAIM_ENV)."""
    env = {**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"}
    fresh = "--resume" not in argv
    if fresh:
        env[CLAIM_ENV] = claim(run_dir)
    try:
        log = open_append(run_dir / log_name, within=run_dir)
    except (OSError, TuiGanError) as err:
        if fresh:
            unclaim(run_dir)  # nothing started: the folder is as free as before
        raise as_user_error(err) from None
    popen.setdefault("stdin", subprocess.DEVNULL)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "tui_gan", "train", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            **popen,
        )
    except OSError:
        if fresh:
            unclaim(run_dir)
        raise
    finally:
        os.close(log)


def spawn_train(args: TrainArgs) -> subprocess.Popen:
    """`tui-gan train` in a new session: no SIGHUP from this terminal, output to train.log."""
    try:
        proc = start_trainer(args.run_dir, args.to_argv(), start_new_session=True)
    except OSError as err:  # the folder cannot be made (an unwritable --out)
        raise as_user_error(err) from None
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
    """The last line of train.log: why a run that never started died (escaped: it is shown)."""
    fh = open_regular(run_dir / TRAIN_LOG, follow=False)
    if fh is None:
        return "the training process exited before writing anything"
    with fh:
        size = os.fstat(fh.fileno()).st_size
        fh.seek(max(0, size - LOG_TAIL))  # the end of a log that may be megabytes long
        lines = fh.read(LOG_TAIL).decode(errors="replace").strip().splitlines()
    return one_line(lines[-1]) if lines else "the training process exited before writing anything"


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
