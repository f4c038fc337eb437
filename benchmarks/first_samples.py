"""How soon a run shows something: from launching `tui-gan train` to its start record, its
first step record and its first sample grid, and its steps a second, for each shipped preset
(or those named). Each run starts with no classifier cached, as a first run on a machine does.

    python benchmarks/first_samples.py                      # every preset that can start here
    python benchmarks/first_samples.py mnist-mlp mnist-ebm  # some

Presets that need data this machine lacks (a faces folder, FashionMNIST offline) are listed
as skipped; mnist-vae-gan runs with its warm start off (it would need a mnist-vae run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NEEDS = {"faces": "a folder of faces (data.root)", "fashion": "FashionMNIST (downloads online)"}
EXTRA = {"mnist-vae-gan": ("--set", "model.init_g_from=")}  # G from scratch: no VAE run needed


@dataclass
class FirstTimes:
    """Seconds from launch; None for what never came."""

    start: float | None = None  # the start record: set-up done, step 1 next
    first_step: float | None = None  # the first step record (step log_every)
    first_samples: float | None = None
    first_samples_step: int | None = None
    steps_per_s: float | None = None  # median over the step records after the first


def read_records(path: Path) -> list[dict]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # a line being written
    return out


def watch(run: Path, proc: subprocess.Popen, t0: float, timeout: float) -> FirstTimes:
    """Poll the run's records until its first samples (and a few step records) are in."""
    times = FirstTimes()
    rates: list[float] = []
    batch = None
    while time.perf_counter() - t0 < timeout:
        now = time.perf_counter() - t0
        for r in read_records(run / "metrics.jsonl"):
            kind = r.get("type")
            if kind == "start" and times.start is None:
                times.start, batch = now, r.get("batch_size")
            elif kind == "step" and times.first_step is None:
                times.first_step = now
            elif kind in ("samples", "toy1d") and times.first_samples is None:
                times.first_samples, times.first_samples_step = now, r["step"]
        steps = [r for r in read_records(run / "metrics.jsonl") if r.get("type") == "step"]
        rates = [r["img_per_s"] / batch for r in steps[1:] if batch and "img_per_s" in r]
        if times.first_samples is not None and len(rates) >= 3 or proc.poll() is not None:
            break
        time.sleep(0.05)
    if rates:
        times.steps_per_s = sorted(rates)[len(rates) // 2]
    return times


def measure(preset: str, out: Path, steps: int = 1000, timeout: float = 300) -> FirstTimes:
    name = f"{preset}-first"
    cmd = [sys.executable, "-m", "tui_gan", "train", "--preset", preset, "--steps", str(steps)]
    cmd += ["--out", str(out), "--name", name, *EXTRA.get(preset, ())]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return watch(out / name, proc, t0, timeout)
    finally:
        proc.terminate()
        proc.wait()


def presets() -> list[str]:
    return sorted(p.stem for p in (REPO / "presets").glob("*.toml"))


def fmt(v: float | None, unit: str = "s") -> str:
    return f"{v:6.1f} {unit}" if v is not None else "     -  "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="default: every shipped preset")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a preset may take")
    args = parser.parse_args()
    print("seconds from launch (a fresh process, no cached classifier) and steps a second")
    print(
        f"{'preset':<15} {'start':>8} {'1st step':>8} {'1st grid':>8} {'at step':>7} {'steps/s':>8}"
    )
    for preset in args.presets or presets():
        need = next((why for k, why in NEEDS.items() if preset.startswith(k)), None)
        if need:
            print(f"{preset:<15} skipped: needs {need}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            t = measure(preset, Path(tmp), timeout=args.timeout)
        rate = f"{t.steps_per_s:8.1f}" if t.steps_per_s else "       -"
        print(
            f"{preset:<15} {fmt(t.start)} {fmt(t.first_step)} {fmt(t.first_samples)} "
            f"{t.first_samples_step or '-':>7} {rate}",
            flush=True,
        )


if __name__ == "__main__":
    main()
