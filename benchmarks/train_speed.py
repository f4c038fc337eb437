"""Training throughput (img/s) of presets, headless, as the engine runs them; prints figures."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from tui_gan.engine import events as ev
from tui_gan.engine.recorder import run
from tui_gan.engine.trainer import RunSpec
from tui_gan.presets import load_preset


def measure(preset_name: str, steps: int, device: str, log_every: int) -> dict:
    preset = load_preset(
        preset_name,
        (
            f"train.steps={steps}",
            f"log.log_every={log_every}",
            "log.sample_every=0",
            "log.checkpoint_every=0",
            f'train.device="{device}"',
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec = RunSpec(preset, Path(tmp) / "run", classifier_dir=Path(tmp) / "classifiers")
        rates, started = [], None
        t0 = time.perf_counter()
        for e in run(spec):  # records written, as `tui-gan train` does
            if isinstance(e, ev.RunStarted):
                started = time.perf_counter()
                dev = e.device
            elif isinstance(e, ev.StepMetrics):
                rates.append(e.img_per_s)
            elif isinstance(e, ev.Failed):
                raise SystemExit(f"{preset_name}: {e.error}")
        total = time.perf_counter() - t0
    steady = rates[1:] or rates  # the first window holds warm-up (allocator, autotuning)
    return {
        "preset": preset_name,
        "device": dev,
        "steps": steps,
        "img_s": statistics.median(steady),
        "setup_s": (started or t0) - t0,
        "total_s": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", nargs="+", default=["mnist-mlp", "mnist-dcgan"])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--log-every", type=int, default=50)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'preset':<14} {'device':<7} {'steps':>6} {'img/s':>9} {'setup s':>8} {'total s':>8}")
    for name in args.presets:
        r = measure(name, args.steps, args.device, args.log_every)
        print(
            f"{r['preset']:<14} {r['device']:<7} {r['steps']:>6} {r['img_s']:>9.0f} "
            f"{r['setup_s']:>8.1f} {r['total_s']:>8.1f}"
        )


if __name__ == "__main__":
    main()
