"""A run directory read for figures: its records by kind, and its family (no torch, no plots)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui_gan.engine import events as ev
from tui_gan.errors import UsageError
from tui_gan.families import Family
from tui_gan.tui.runview import RunView


@dataclass
class RunRecords:
    """Everything `report` draws, from metrics.jsonl and preset.toml alone."""

    path: Path
    name: str
    preset: str
    family: Family
    loss_kind: str
    image_size: int = 28
    steps: list[ev.StepMetrics] = field(default_factory=list)
    evals: list[ev.Evaluated] = field(default_factory=list)
    samples: list[ev.Samples] = field(default_factory=list)
    toy: list[ev.Toy1DSnapshot] = field(default_factory=list)

    @property
    def probabilities(self) -> bool:
        """D's outputs are probabilities (0.5 = equilibrium): BCE GANs."""
        return self.family.kind == "gan" and self.loss_kind in ("bce", "bce-saturating")

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """(steps, values) of one StepMetrics value, where records have it."""
        pairs = [(e.step, e.value(key)) for e in self.steps if e.value(key) is not None]
        return [s for s, _ in pairs], [v for _, v in pairs]  # type: ignore[misc]


def read_run(path: Path) -> RunRecords:
    """A run's records; a folder without metrics.jsonl is one UsageError line."""
    path = Path(path)
    metrics = path / "metrics.jsonl"
    if not path.is_dir() or not metrics.is_file():
        raise UsageError(f"{path}: not a run directory (no metrics.jsonl)")
    view = RunView.open(path)
    run = RunRecords(path, path.name, view.preset, view.kind, view.loss_kind, view.image_size)
    seen: dict[type, dict[int, ev.Event]] = {}
    for e in ev.iter_events(metrics):
        # A resume rewrites the file, but a crash may leave a step twice: the last one counts.
        seen.setdefault(type(e), {})[e.step] = e
    by_step = {t: [d[s] for s in sorted(d)] for t, d in seen.items()}
    run.steps = by_step.get(ev.StepMetrics, [])  # type: ignore[assignment]
    run.evals = by_step.get(ev.Evaluated, [])  # type: ignore[assignment]
    run.samples = by_step.get(ev.Samples, [])  # type: ignore[assignment]
    run.toy = by_step.get(ev.Toy1DSnapshot, [])  # type: ignore[assignment]
    return run


def spaced(items: list, k: int) -> list:
    """k items evenly spaced over the list, first and last included, in order."""
    if k >= len(items):
        return list(items)
    if k <= 1:
        return items[-1:]
    idx = sorted({round(i * (len(items) - 1) / (k - 1)) for i in range(k)})
    return [items[i] for i in idx]
