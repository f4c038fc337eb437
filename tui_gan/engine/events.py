"""Typed events the training loop yields; the dashboard and the headless CLI consume them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class RunStarted:
    run_dir: Path
    preset: str
    dataset: str
    device: str
    start_step: int
    total_steps: int
    steps_per_epoch: int
    batch_size: int
    resumed: bool
    num_classes: int | None


@dataclass(frozen=True)
class Notice:
    """Something the user should read (a data fallback, a one-off classifier training)."""

    message: str
    level: str = "info"  # info | warning


@dataclass(frozen=True)
class StepMetrics:
    step: int
    epoch: float
    time: float
    loss_d: float
    loss_g: float
    d_real: float
    d_fake: float
    img_per_s: float


@dataclass(frozen=True)
class Samples:
    """Fixed-noise grid (quality over time) and fresh samples (diversity), as uint8 NCHW."""

    step: int
    epoch: float
    time: float
    path: Path
    fixed: np.ndarray
    fresh: np.ndarray
    class_counts: list[int] | None = None
    class_entropy: float | None = None
    classes_covered: int | None = None


@dataclass(frozen=True)
class Toy1DSnapshot:
    """Histograms of real and generated scalars and D(x) on a grid over the same axis."""

    step: int
    epoch: float
    time: float
    bin_edges: np.ndarray
    real_hist: np.ndarray
    fake_hist: np.ndarray
    x_grid: np.ndarray
    d_curve: np.ndarray


@dataclass(frozen=True)
class Evaluated:
    """A periodic evaluation: the same keys as `tui-gan eval --json`."""

    step: int
    metrics: dict


@dataclass(frozen=True)
class CheckpointSaved:
    step: int
    path: Path


@dataclass(frozen=True)
class Paused:
    step: int
    paused: bool


@dataclass(frozen=True)
class Finished:
    """The loop ended: state is finished, stopped (asked to) or interrupted (Ctrl-C)."""

    step: int
    state: str
    elapsed: float
    img_per_s: float
    checkpoint: Path | None = None


@dataclass(frozen=True)
class Failed:
    step: int
    error: str
    details: list[str] = field(default_factory=list)
    exit_code: int = 1  # 2 when the cause is the user's input (data, preset)


Event = (
    RunStarted
    | Notice
    | StepMetrics
    | Samples
    | Toy1DSnapshot
    | Evaluated
    | CheckpointSaved
    | Paused
    | Finished
    | Failed
)
