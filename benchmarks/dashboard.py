"""Training img/s headless vs with the dashboard open, and key-to-screen latency (in tmux)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def step_rates(run: Path) -> list[float]:
    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["img_per_s"] for r in recs if r["type"] == "step"][1:]  # skip warm-up


def wait(cond, timeout: float) -> None:
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.05)


def headless(out: Path, preset: str, steps: int) -> float:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tui_gan",
            "train",
            "--preset",
            preset,
            "--steps",
            str(steps),
            "--out",
            str(out),
            "--name",
            "headless",
            "--set",
            "log.log_every=25",
        ],
        check=True,
        capture_output=True,
    )
    return statistics.median(step_rates(out / "headless"))


def with_dashboard(out: Path, preset: str, steps: int, presses: int) -> tuple[float, list[float]]:
    session = f"bench-{os.getpid()}"
    cmd = [
        sys.executable,
        "-m",
        "tui_gan",
        "dash",
        "--preset",
        preset,
        "--steps",
        str(steps),
        "--out",
        str(out),
        "--name",
        "dash",
        "--set",
        "log.log_every=25",
    ]
    tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "100",
        "-y",
        "30",
        f"cd {shlex.quote(str(REPO))} && env -u COLUMNS -u LINES {shlex.join(cmd)}; sleep 600",
    )
    run = out / "dash"
    latencies = []
    try:
        wait(
            lambda: (
                "img/s" in tmux("capture-pane", "-p", "-t", session)
                and (run / "metrics.jsonl").exists()
                and step_rates(run)
            ),
            120,
        )
        for i in range(presses):  # f flips the samples title: time until the pane shows it
            want = "fresh samples" if i % 2 == 0 else "fixed noise"
            t0 = time.perf_counter()
            tmux("send-keys", "-t", session, "f")
            wait(lambda w=want: w in tmux("capture-pane", "-p", "-t", session), 10)
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.3)
        wait(lambda: '"finished"' in (run / "metrics.jsonl").read_text(), 1200)
    finally:
        tmux("kill-session", "-t", session)
    return statistics.median(step_rates(run)), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="mnist-mlp")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--presses", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("needs tmux")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        head = headless(out, args.preset, args.steps)  # also caches the classifier for both
        dash, lat = with_dashboard(out, args.preset, args.steps, args.presses)
    lat.sort()
    print(f"{args.preset}, {args.steps} steps, median img/s over 25-step windows")
    print(f"  headless          {head:8.0f} img/s")
    print(f"  dashboard open    {dash:8.0f} img/s  ({100 * (dash / head - 1):+.1f}%)")
    print(
        f"  key f -> pane shows it (tmux, n={len(lat)}): median {statistics.median(lat):.0f} ms,"
        f" p90 {lat[int(0.9 * (len(lat) - 1))]:.0f} ms, max {lat[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
