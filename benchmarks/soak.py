"""Soak: the dashboard attached to a default-preset run for N minutes; its memory over time.

    .venv/bin/python benchmarks/soak.py [--minutes 30] [--from-minute 5]

Starts `tui-gan train` (default preset, more steps than the soak lasts) headless, opens
`tui-gan attach` on it in a detached tmux session at 100x30, and reads both processes'
resident memory (psutil) once a minute. Prints the table and the dashboard's growth from
minute `--from-minute` to the end (target: under 2 MB from minute 5 to minute 30).
No keys are pressed. A figure for the README, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

MB = 1024 * 1024


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def wait_for(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def dashboard_pid(pane_pid: int) -> int:
    """The python process under the tmux pane (the pane runs a shell running tui-gan)."""
    pane = psutil.Process(pane_pid)
    for proc in [pane, *pane.children(recursive=True)]:
        if "tui_gan" in " ".join(proc.cmdline()):
            return proc.pid
    raise SystemExit("no tui-gan process in the tmux pane")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--from-minute", type=float, default=5.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between readings")
    parser.add_argument("--steps", type=int, default=1_000_000)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed")
    root = Path(tempfile.mkdtemp(prefix="tui-gan-soak-"))
    run_dir = root / "soak"
    # The benchmark's runs stay out of the user's run index (tui-gan runs, attach).
    env = {**os.environ, "XDG_STATE_HOME": str(root / "state")}
    train = subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", "--steps", str(args.steps)]
        + ["--out", str(root), "--name", "soak"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=env,
    )
    session = f"soak-{os.getpid()}"
    try:
        wait_for(lambda: (run_dir / "metrics.jsonl").exists(), 300, "the run's first records")
        # A tmux server already running does not pass this process's environment on.
        pythonpath = f"PYTHONPATH={os.environ['PYTHONPATH']} " if "PYTHONPATH" in os.environ else ""
        attach = (
            f"env XDG_STATE_HOME={root / 'state'} {pythonpath}"
            f"{sys.executable} -m tui_gan attach {run_dir}"
        )
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", attach)
        tmux("set-option", "-t", session, "remain-on-exit", "on")
        time.sleep(3)
        pane_pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        dash = psutil.Process(dashboard_pid(pane_pid))
        trainer = psutil.Process(train.pid)
        start = time.monotonic()
        readings: list[tuple[float, float, float]] = []
        print(f"{'minute':>7} {'dashboard MB':>13} {'trainer MB':>11}", flush=True)
        while True:
            minute = (time.monotonic() - start) / 60
            row = (minute, dash.memory_info().rss / MB, trainer.memory_info().rss / MB)
            readings.append(row)
            print(f"{row[0]:7.1f} {row[1]:13.1f} {row[2]:11.1f}", flush=True)
            if minute >= args.minutes:
                break
            time.sleep(args.every)
        later = [r for r in readings if r[0] >= args.from_minute] or readings
        growth = later[-1][1] - later[0][1]
        print(
            f"dashboard memory: {later[0][1]:.1f} MB at minute {later[0][0]:.0f}, "
            f"{later[-1][1]:.1f} MB at minute {later[-1][0]:.0f}: {growth:+.1f} MB"
        )
    finally:
        tmux("kill-session", "-t", session)
        train.terminate()
        train.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
