"""The train request (`train`'s and `dash`'s options): checked once, turned into one argv."""

# Below the CLI and the dashboard, which both make one, and the launchers that start it.

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_gan.errors import UsageError

if TYPE_CHECKING:
    from tui_gan.config import Preset


@dataclass(frozen=True)
class TrainArgs:
    """What to train and where (`train`'s and `dash`'s options); a process is started with
    `to_argv()`, its one argument list (tui_gan.launch.start_trainer)."""

    preset: str | None = None  # a shipped name or a TOML path; None: the default preset
    steps: int | None = None
    epochs: int | None = None
    overrides: tuple[str, ...] = ()  # --set FIELD=VALUE
    out: Path = Path("checkpoints")
    name: str | None = None
    resume: str | None = None  # a run directory or a checkpoint
    device: str | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.steps is not None and self.epochs is not None:
            raise UsageError("give --steps or --epochs, not both")
        if self.resume and (self.preset or self.name):
            raise UsageError(
                "--resume continues a run with its own preset and folder: "
                "drop --preset and --name (--set still changes fields)"
            )
        from tui_gan.config import check_run_name

        check_run_name(self.name)

    def preset_overrides(self) -> tuple[str, ...]:
        """--set plus the options that set preset fields, so preset.toml records what ran."""
        extra = list(self.overrides)
        if self.steps is not None:
            extra.append(f"train.steps={self.steps}")
        if self.epochs is not None:
            extra += ["train.steps=0", f"train.epochs={self.epochs}"]
        if self.device is not None:
            extra.append(f'train.device="{self.device}"')
        if self.seed is not None:
            extra.append(f"train.seed={self.seed}")
        return tuple(extra)

    def to_argv(self) -> list[str]:
        """The `tui-gan train` arguments that mean these options."""
        argv: list[str] = []
        if self.resume:
            argv += ["--resume", self.resume]
        else:
            argv += ["--out", str(self.out)]
            if self.name:
                argv += ["--name", self.name]
            if self.preset:
                argv += ["--preset", self.preset]
        for override in self.overrides:
            argv += ["--set", override]
        for flag, value in (
            ("--steps", self.steps),
            ("--epochs", self.epochs),
            ("--device", self.device),
            ("--seed", self.seed),
        ):
            if value is not None:
                argv += [flag, str(value)]
        return argv

    def with_preset(self, preset: str) -> TrainArgs:
        """The picker's choice: a new preset and run beside the current ones, the same options;
        --set and --resume belonged to the old preset."""
        out = self.run_dir.parent if self.resume else self.out
        return replace(self, preset=preset, overrides=(), name=None, resume=None, out=out)

    def new_run(self, check: bool = True) -> tuple[TrainArgs, Preset]:
        """Pinned to a new run directory, with its preset validated (no torch needed): the
        name is fixed here, so the dashboard knows where the process it starts will write.
        `check`: that the folder is free (not for torchrun's other ranks: rank 0 claims it,
        and may already be writing there when they look)."""
        from tui_gan.presets import load_preset

        preset = load_preset(self.preset, self.preset_overrides())
        run_dir = new_run_dir(self.out, preset.name, self.name)
        if check:
            check_free(run_dir)
        return replace(self, name=run_dir.name), preset

    @property
    def run_dir(self) -> Path:
        """Where the run is (after `new_run()`, or of --resume RUN_DIR|CKPT)."""
        if self.resume:
            p = Path(self.resume)
            return p if p.is_dir() else p.parent
        if self.name is None:
            raise ValueError("no run directory yet: call new_run() first")
        return Path(self.out) / self.name


def new_run_dir(out: Path, preset_name: str, name: str | None) -> Path:
    """OUT/NAME, or OUT/<preset>-<time> with a suffix when two runs start in one second."""
    from tui_gan.rundir.folder import default_run_name

    if name is not None:
        return Path(out) / name
    base = default_run_name(preset_name)
    run, i = Path(out) / base, 2
    while run.exists():
        run, i = Path(out) / f"{base}-{i}", i + 1
    return run


def check_free(run_dir: Path) -> None:
    """A new run starts only in a folder that does not exist or is empty: never on a live
    run, a finished one's checkpoints, or another tool's files (the trainer claims it)."""
    import os

    from tui_gan.rundir.claim import CLAIM_ENV, is_free
    from tui_gan.rundir.state import LIVE_STATES
    from tui_gan.rundir.status import run_state

    if run_state(run_dir) in LIVE_STATES:
        raise UsageError(f"{run_dir} is still training; stop it first: tui-gan stop {run_dir}")
    taken = is_free(run_dir, os.environ.get(CLAIM_ENV))  # a trainer its launcher claimed for
    if taken is not None:
        raise taken
