"""kill -9 a training run at random points, most of them during checkpoint saves; then check
that nothing is lost: last.pt loads, metrics.jsonl parses, no temp file outlives a resume, and
the resumed run repeats a straight run's losses at every step.

CI kills a few runs; `TUI_GAN_CRASH_RUNS=50 pytest tests/e2e/test_crash_consistency.py -s`
kills fifty and prints the figure the README quotes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tui_gan.engine.checkpoint import load_run_checkpoint
from tui_gan.engine.events import StepMetrics, parse_line

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RUNS = int(os.environ.get("TUI_GAN_CRASH_RUNS", "5"))
STEPS = 60 + 25 * RUNS
# A checkpoint and a record every step: most of the loop's time is spent saving, so a random
# kill usually lands inside atomic_save or the last.pt link.
PRESET = (
    "--preset", "toy1d-sine", "--steps", str(STEPS),
    "--set", "model.g_hidden=[16]", "--set", "model.d_hidden=[16]",
    "--set", "train.batch_size=32", "--set", "log.log_every=1",
    "--set", "log.checkpoint_every=1", "--set", "log.sample_every=0",
    "--set", "log.eval_every=0", "--set", "log.keep_checkpoints=2",
)  # fmt: skip
TEMP_GLOBS = (".*.tmp*", "metrics.tmp", "preset.tmp")


def losses(run: Path) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for line in (run / "metrics.jsonl").read_bytes().splitlines():
        e = parse_line(line)
        if isinstance(e, StepMetrics):
            assert e.step not in out, f"step {e.step} recorded twice"
            out[e.step] = (e.loss_d, e.loss_g)
    return out


def temp_files(run: Path) -> list[Path]:
    return [p for g in TEMP_GLOBS for p in run.glob(g)]


def check_after_kill(run: Path) -> None:
    if (run / "last.pt").exists():
        state = load_run_checkpoint(run / "last.pt")  # raises on a torn checkpoint
        assert 0 <= state["step"] <= STEPS
    if (run / "metrics.jsonl").exists():
        lines = (run / "metrics.jsonl").read_bytes().split(b"\n")
        whole, tail = lines[:-1], lines[-1]  # a kill may cut the last line short, no other
        bad = [ln for ln in whole if parse_line(ln) is None]
        assert bad == [], f"unparsable lines: {bad[:3]}"
        assert tail == b"" or parse_line(tail) is None


def start(run: Path) -> subprocess.Popen:
    args = (
        ["--resume", str(run)]
        if (run / "last.pt").exists()
        else [*PRESET, "--out", str(run.parent), "--name", run.name]
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tui_gan", "train", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def wait_running(run: Path, proc: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads((run / "status.json").read_text())["state"] == "running":
                return True
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.01)
    return False


def test_kill_9_at_random_points_loses_nothing(tmp_path: Path):
    ref = subprocess.run(
        [sys.executable, "-m", "tui_gan", "train", *PRESET, "--out", str(tmp_path),
         "--name", "straight"],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert ref.returncode == 0, ref.stderr
    expected = losses(tmp_path / "straight")
    assert sorted(expected) == list(range(1, STEPS + 1))

    run = tmp_path / "crashy"
    rng = random.Random(int(os.environ.get("TUI_GAN_CRASH_SEED", "0")))
    kills = mid_save = 0
    for _ in range(RUNS):
        proc = start(run)
        if not wait_running(run, proc):
            proc.wait()
            break  # it finished (or failed) before we could kill it: the checks below tell
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        # the kill landed inside a checkpoint's write or its last.pt link
        mid_save += bool([*run.glob(".ckpt-*.tmp*"), *run.glob(".last.pt.tmp*")])
        check_after_kill(run)

    final = start(run)
    _, err = final.communicate(timeout=600)
    assert final.returncode == 0, err.decode()
    assert temp_files(run) == []
    assert json.loads((run / "status.json").read_text())["state"] == "finished"
    got = losses(run)
    assert got == expected, "the resumed run diverged from the straight one"
    print(f"\ncrash consistency: {kills} kill -9s ({mid_save} inside a save), 0 failures")
    assert kills >= min(RUNS, 3)
