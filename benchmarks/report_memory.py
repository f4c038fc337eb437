"""`tui-gan report`'s peak memory and time on synthetic runs of growing length (issue 21)."""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tui_gan.engine import events as ev
from tui_gan.rundir.folder import RunDir

PRESET = """name = "mnist-mlp"

[data]
name = "mnist"
image_size = 28

[model]
family = "mlp"

[loss]
kind = "bce"
"""


def make_run(root: Path, steps: int, eval_every: int, sample_every: int) -> Path:
    """A finished mnist-mlp run logged at every step: records through the schema (to_line),
    with evaluations, sample records (one grid on disk) and checkpoints as the trainer writes
    them. Noisy losses with a rare spike, so thinning has something to lose."""
    run = root / f"run-{steps}"
    rd = RunDir(run)
    rd.create()
    rd.write_format()
    (run / "preset.toml").write_text(PRESET)
    rng = np.random.default_rng(0)
    tiles = rng.integers(0, 256, (242, 242), dtype=np.uint8)  # 8x8 tiles of 28 px, padding 2
    Image.fromarray(tiles).save(run / "samples" / "grid.png")
    noise = rng.normal(0, 0.05, (steps + 1, 4)).round(4)
    with open(run / "metrics.jsonl", "w", buffering=1 << 20) as fh:
        fh.write(ev.to_line(ev.RunStarted(step=0, total_steps=steps, device="cpu", time=0.0)))
        for s in range(1, steps + 1):
            a, b, c, d = noise[s]
            spike = 3.0 if s % 250_000 == 0 else 0.0
            t = s / steps
            fh.write(ev.to_line(ev.StepMetrics(
                step=s, epoch=round(s / 62, 4), time=round(s * 0.004, 3), img_per_s=16000.0,
                loss_d=round(1.38 - 0.6 * math.exp(-8 * t) + a + spike, 4),
                loss_g=round(0.7 + 0.5 * math.exp(-8 * t) + b, 4),
                d_real=round(0.5 + 0.4 * math.exp(-6 * t) + c, 4),
                d_fake=round(0.5 - 0.3 * math.exp(-6 * t) + d, 4), g_d_ratio=0.5,
            )))  # fmt: skip
            if s % sample_every == 0:
                counts = [int(x) for x in rng.multinomial(1000, [0.1] * 10)]
                fh.write(ev.to_line(ev.Samples(
                    step=s, epoch=s / 62, time=s * 0.004, path="samples/grid.png",
                    class_counts=counts, class_entropy=0.99, classes_covered=10, n=1000,
                )))  # fmt: skip
            if s % eval_every == 0:
                fh.write(ev.to_line(ev.Evaluated(
                    step=s, fid=round(40 / (1 + s / eval_every), 3), precision=0.7,
                    recall=0.5, density=0.9, coverage=0.6, n=2000,
                )))  # fmt: skip
                fh.write(ev.to_line(ev.CheckpointSaved(step=s, path=f"ckpt-{s:07d}.pt")))
        fh.write(ev.to_line(ev.Finished(step=steps, state="finished", time=steps * 0.004)))
    return run


def measure(run: Path, pythonpath: str | None) -> tuple[float, float, str]:
    """(peak RSS in MiB, wall seconds, last line) of `python -m tui_gan report RUN`. wait4 gives
    this one child's peak: RUSAGE_CHILDREN would keep the largest child so far."""
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tui_gan", "report", str(run)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"report failed on {run}:\n{out}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    lines = out.strip().splitlines()
    return usage.ru_maxrss * scale / 2**20, wall, f"{len(lines)} line(s) of output"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, nargs="+", default=[100_000, 1_000_000],
                    help="run lengths to measure (a step record at every step)")  # fmt: skip
    ap.add_argument("--eval-every", type=int, default=10_000)
    ap.add_argument("--sample-every", type=int, default=1_000)
    ap.add_argument("--pythonpath", help="measure another checkout's tui_gan (e.g. the old one)")
    ap.add_argument("--keep", type=Path, help="write the runs here and keep them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        print(f"{'steps':>10} {'metrics.jsonl':>14} {'peak RSS':>10} {'wall':>8}  output")
        for steps in args.steps:
            run = root / f"run-{steps}"
            if not (run / "metrics.jsonl").is_file():
                run = make_run(root, steps, args.eval_every, args.sample_every)
            size = (run / "metrics.jsonl").stat().st_size / 2**20
            rss, wall, said = measure(run, args.pythonpath)
            print(f"{steps:>10,} {size:>11.0f} MB {rss:>7.0f} MB {wall:>7.1f}s  {said}")


if __name__ == "__main__":
    main()
