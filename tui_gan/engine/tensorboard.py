"""TensorBoard event files of a run: its scalars and sample grids (optional extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_gan.engine import events as ev
from tui_gan.errors import UsageError
from tui_gan.families import METRIC_KEYS, RATIO_KEY
from tui_gan.rundir.names import METRICS
from tui_gan.rundir.read import open_grid

MISSING = "TensorBoard is not installed: pip install 'tui-gan[tensorboard]'"
EVAL_KEYS = ("fid", "precision", "recall", "density", "coverage", "class_kl", "w1", "ks",
             "cond_accuracy")  # fmt: skip


def summary_writer(logdir: Path, purge_step: int | None = None) -> Any:
    """torch's SummaryWriter on logdir, or one line saying what to install. `purge_step`:
    a resumed run's events from that step on are dropped, as the run's own records are."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch imports it only when the tensorboard package is there
        raise UsageError(MISSING) from None
    return SummaryWriter(log_dir=str(logdir), purge_step=purge_step)


class TensorBoardSink:
    """Writes the events a run reports as TensorBoard scalars and images, as they come."""

    def __init__(self, logdir: Path, run_dir: Path, purge_step: int | None = None):
        self.writer = summary_writer(logdir, purge_step)
        self.run_dir = run_dir

    def handle(self, event: ev.Event) -> None:
        w, step = self.writer, event.step
        match event:
            case ev.StepMetrics():
                for key in (*METRIC_KEYS, RATIO_KEY, "img_per_s"):
                    value = event.value(key)
                    if value is not None:
                        w.add_scalar(f"train/{key}", value, step)
            case ev.Evaluated():
                for key in EVAL_KEYS:
                    value = getattr(event, key)
                    if value is not None:
                        w.add_scalar(f"eval/{key}", value, step)
            case ev.Samples():
                if event.class_entropy is not None:
                    w.add_scalar("samples/class_entropy", event.class_entropy, step)
                self._image("samples/fixed", event.path, step)
            case ev.Finished() | ev.Failed():
                w.flush()

    def _image(self, tag: str, relative: str, step: int) -> None:
        import numpy as np

        grid = open_grid(self.run_dir / relative, "RGB")
        if grid is not None:  # a grid pruned or unreadable is skipped, not fatal
            self.writer.add_image(tag, np.asarray(grid), step, dataformats="HWC")

    def close(self) -> None:
        self.writer.close()


def convert(run_dir: Path, logdir: Path) -> int:
    """A finished run's records as TensorBoard event files; returns how many were written."""
    sink = TensorBoardSink(logdir, run_dir)
    n = 0
    try:
        for event in ev.iter_events(run_dir / METRICS):
            sink.handle(event)
            n += 1
    finally:
        sink.close()
    return n
