"""Evaluation cost and stability: seconds per eval of N samples, FID spread, share of a run."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tui_gan.engine import events as ev
from tui_gan.engine.context import RunSpec
from tui_gan.engine.recorder import run
from tui_gan.engine.runtime import start_run_process
from tui_gan.presets import load_preset

SPENT = {"eval": 0.0}


def _timed(fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT["eval"] += time.perf_counter() - t0

    return wrapper


def train(preset: str, steps: int, out: Path, name: str, eval_every: int | None) -> float:
    sets = [f"train.steps={steps}", 'train.device="cpu"']
    if eval_every is not None:
        sets.append(f"log.eval_every={eval_every}")
    spec = RunSpec(load_preset(preset, tuple(sets)), out / name, classifier_dir=out / "cls")
    t0 = time.perf_counter()
    for e in run(start_run_process(spec)):  # records written, as `tui-gan train` does
        if isinstance(e, ev.Failed):
            raise SystemExit(e.error)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="mnist-mlp")
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    import tui_gan.engine.evaluate as E
    from tui_gan.cli.evaluate import evaluate_checkpoint

    # Time what the trainer spends evaluating (first-eval set-up included).
    E.evaluate, E.build_context = _timed(E.evaluate), _timed(E.build_context)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        train(args.preset, 50, out, "warmup", 0)  # classifier and real features cached
        off = train(args.preset, args.steps, out, "off", 0)
        SPENT["eval"] = 0.0
        on = train(args.preset, args.steps, out, "on", None)
        spent = SPENT["eval"]
        every = load_preset(args.preset).log.eval_every
        print(f"{args.preset}, {args.steps} steps on the CPU")
        print(
            f"  run without eval {off:6.1f} s; with eval_every={every} {on:6.1f} s, of which "
            f"{spent:.1f} s in evaluations: {100 * spent / on:.1f}% of the run"
        )
        for n in (2000, 5000):
            t0 = time.perf_counter()
            a = evaluate_checkpoint(str(out / "on"), n, "classifier", "cpu", seed=1)
            secs = time.perf_counter() - t0
            b = evaluate_checkpoint(str(out / "on"), n, "classifier", "cpu", seed=2)
            spread = abs(a["fid"] - b["fid"]) / ((a["fid"] + b["fid"]) / 2)
            print(
                f"  eval n={n}: {secs:5.1f} s (checkpoint load included); FID {a['fid']:.3f} vs "
                f"{b['fid']:.3f} with another seed: {100 * spread:.1f}% apart; "
                f"coverage {a['coverage']:.3f} / {b['coverage']:.3f}"
            )


if __name__ == "__main__":
    main()
