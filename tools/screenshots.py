"""Regenerate the README's dashboard screenshots (SVG) from a real run in the middle of training.

    .venv/bin/python tools/screenshots.py [--steps 3000] [--wait 60] [--out docs]

Starts `tui-gan train` on the default preset in a temporary folder, waits until the run has
records and samples (`--wait` seconds of training), opens the dashboard on it at 100x30 in
colour and in ASCII mode, saves each screen as SVG (Textual's own screenshot), and stops the
run. Nothing here is drawn by hand: run it again after a change to the dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE = (100, 30)
SHOTS = (
    ("dashboard-100x30.svg", "truecolor"),
    ("dashboard-ascii-100x30.svg", "ascii"),
)


def start_run(root: Path, steps: int) -> tuple[subprocess.Popen, Path]:
    run_dir = root / "checkpoints" / "mnist-mlp-demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", "--steps", str(steps), "--out", "checkpoints"]
        + ["--name", "mnist-mlp-demo"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return proc, run_dir


def wait_for_samples(run_dir: Path, proc: subprocess.Popen, wait_s: float) -> None:
    """Until the run has trained `wait_s` seconds past its first sample grid."""
    deadline = time.monotonic() + 600
    while not any((run_dir / "samples").glob("step-*.png")):
        if proc.poll() is not None:
            raise SystemExit(f"the run ended early (exit {proc.returncode}): see {run_dir}")
        if time.monotonic() > deadline:
            raise SystemExit("no samples after 10 minutes")
        time.sleep(1)
    time.sleep(wait_s)


async def shoot(run_dir: Path, out: Path, name: str, render: str) -> None:
    from tui_gan.tui.app import Dashboard
    from tui_gan.tui.mode import pick_mode

    app = Dashboard(attach=run_dir, draw_mode=pick_mode(forced=render))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(3.0)  # the watcher reads the records, the panels draw them
        app.save_screenshot(filename=name, path=str(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--wait", type=float, default=60.0, help="seconds of training first")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    args.out = args.out.resolve()  # before the chdir below
    args.out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="tui-gan-shots-"))
    proc, run_dir = start_run(root, args.steps)
    try:
        wait_for_samples(run_dir, proc, args.wait)
        cwd = os.getcwd()
        os.chdir(root)  # the header shows the run as checkpoints/..., as a user would see it
        try:
            for name, render in SHOTS:
                asyncio.run(shoot(run_dir, args.out, name, render))
                print(f"wrote {args.out / name}")
        finally:
            os.chdir(cwd)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
