"""Why a CPU sweep splits the cores: img/s of one training alone, of three at once with
PyTorch's default threads, and of three at once with cores / jobs threads each (what
`tui-gan sweep --jobs 3` gives them). Phases run one after another, never overlapping.

    python benchmarks/sweep_threads.py [--steps 400]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def train(out: Path, name: str, steps: int, threads: int | None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, "-m", "tui_gan", "train", "--steps", str(steps), "--out", str(out)]
    cmd += ["--name", name, "--set", "log.sample_every=0", "--set", "log.checkpoint_every=0"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def rate(run: Path) -> float:
    """The run's own img/s over its training (its `finished` record)."""
    for line in (run / "metrics.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["type"] == "finished":
            return rec["img_per_s"]
    raise RuntimeError(f"{run} did not finish")


def phase(out: Path, label: str, n: int, steps: int, threads: int | None) -> None:
    t0 = time.perf_counter()
    procs = [train(out, f"{label}-{i}", steps, threads) for i in range(n)]
    for p in procs:
        p.wait()
    wall = time.perf_counter() - t0
    rates = [rate(out / f"{label}-{i}") for i in range(n)]
    print(f"| {label} | {n} | {threads or 'default'} | {sum(rates):,.0f} | {wall:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"{cores} cores; mnist-mlp, {args.steps} steps a run\n")
    print("| phase | runs | threads each | img/s, all runs | wall s |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        phase(out, "warm-up", 1, 50, None)  # the classifier is trained once, here
        phase(out, "alone", 1, args.steps, None)
        phase(out, "three-default", 3, args.steps, None)
        phase(out, "three-split", 3, args.steps, max(1, cores // 3))


if __name__ == "__main__":
    main()
