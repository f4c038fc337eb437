"""Start a training run as its own process, so it outlives the dashboard and the SSH session."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tui_gan.engine.rundir import default_run_name

TRAIN_NICENESS = 5


@dataclass(frozen=True)
class LaunchSpec:
    """The `tui-gan train` options a dashboard run is started with."""

    preset: str | None = None
    overrides: tuple[str, ...] = ()
    out: Path = Path("checkpoints")
    name: str | None = None
    resume: str | None = None
    extra: tuple[str, ...] = field(default_factory=tuple)  # --steps/--epochs/--device/--seed

    def with_preset(self, preset: str) -> LaunchSpec:
        """The picker's choice: same --out and options, a new preset and default run name."""
        return LaunchSpec(preset=preset, out=self.out, extra=self.extra)


def resume_dir(resume: str) -> Path:
    """The run directory of --resume RUN_DIR|CKPT, without importing torch."""
    p = Path(resume)
    return p if p.is_dir() else p.parent


def new_run_dir(out: Path, preset_name: str, name: str | None) -> Path:
    run = Path(out) / (name or default_run_name(preset_name))
    if name is None:
        i = 2
        while run.exists():  # two runs started within one second
            run = Path(out) / f"{default_run_name(preset_name)}-{i}"
            i += 1
    return run


def spawn_train(spec: LaunchSpec, run_dir: Path) -> subprocess.Popen:
    """`tui-gan train` in a new session: no SIGHUP from this terminal, output to train.log."""
    run_dir.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "tui_gan", "train"]
    if spec.resume:
        args += ["--resume", spec.resume]
    else:
        args += [
            "--preset",
            spec.preset or "mnist-mlp",
            "--out",
            str(run_dir.parent),
            "--name",
            run_dir.name,
        ]
    for o in spec.overrides:
        args += ["--set", o]
    args += list(spec.extra)
    with open(run_dir / "train.log", "ab") as log:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
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
    """The last line of train.log: why a run that never started died."""
    try:
        lines = (run_dir / "train.log").read_text(errors="replace").strip().splitlines()
    except FileNotFoundError:
        return "the training process exited before writing anything"
    return lines[-1] if lines else "the training process exited before writing anything"
