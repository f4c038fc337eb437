"""A run directory read for figures in bounded memory: its records by kind, and its family."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from tui_gan.config import BCE_LIKE
from tui_gan.engine import events as ev
from tui_gan.errors import UsageError, one_line
from tui_gan.families import Family
from tui_gan.report import read
from tui_gan.rundir.names import METRICS, PRESET
from tui_gan.view.runview import RunView

# A figure is ~800 px wide: a series pooled into 1,000-2,000 buckets of four points each
# draws the same line as a million raw points, in a fraction of the memory and time.
BUCKETS = 1000
KEPT = 500  # evaluations, sample records and 1-D snapshots kept (a few per figure column)
E = TypeVar("E", bound=ev.Event)


class Series:
    """One logged value in bounded memory: consecutive records pooled into at most
    2 * BUCKETS buckets of equal size (doubled as the run grows). Each bucket keeps its
    first, lowest, highest and last points, so a line through them shows every spike a
    line through the raw values would, and its mean, for the trend."""

    __slots__ = ("buckets", "size", "limit")

    def __init__(self, limit: int = BUCKETS):
        # [first step, first value, low step, low, high step, high, last step, last, sum, n]
        self.buckets: list[list[float]] = []
        self.size = 1  # records per full bucket
        self.limit = limit

    def __len__(self) -> int:
        return len(self.buckets)

    def add(self, step: int, value: float) -> None:
        b = self.buckets[-1] if self.buckets else None
        if b is not None and step <= b[6]:  # a restart logged these steps again: its win
            self.cut(step)
            b = self.buckets[-1] if self.buckets else None
        if b is None or b[9] >= self.size:
            self.buckets.append([step, value, step, value, step, value, step, value, value, 1])
            if len(self.buckets) > 2 * self.limit:
                self._halve()
            return
        if value < b[3]:
            b[2], b[3] = step, value
        if value > b[5]:
            b[4], b[5] = step, value
        b[6], b[7] = step, value
        b[8] += value
        b[9] += 1

    def cut(self, step: int) -> None:
        """Forget the records at `step` and after, with the bucket holding the first of them
        (a bucket cannot be split; only a crash-and-resume logs a step twice)."""
        while self.buckets and self.buckets[-1][6] >= step:
            self.buckets.pop()

    def _halve(self) -> None:
        merged = []
        for a, b in zip(self.buckets[::2], self.buckets[1::2], strict=False):
            low = a[2:4] if a[3] <= b[3] else b[2:4]
            high = a[4:6] if a[5] >= b[5] else b[4:6]
            merged.append([a[0], a[1], *low, *high, b[6], b[7], a[8] + b[8], a[9] + b[9]])
        if len(self.buckets) % 2:
            merged.append(self.buckets[-1])
        self.buckets, self.size = merged, self.size * 2

    def points(self) -> tuple[list[float], list[float]]:
        """(steps, values) to draw as the raw line: each bucket's points in step order."""
        xs: list[float] = []
        ys: list[float] = []
        for b in self.buckets:
            for s, v in sorted({(b[0], b[1]), (b[2], b[3]), (b[4], b[5]), (b[6], b[7])}):
                xs.append(s)
                ys.append(v)
        return xs, ys

    def means(self) -> tuple[list[float], list[float]]:
        """(steps, values): each bucket's mean at its middle step; the records themselves
        while every bucket holds one."""
        return [(b[0] + b[6]) / 2 for b in self.buckets], [b[8] / b[9] for b in self.buckets]


class Kept(Generic[E]):
    """Records of one kind in bounded memory: every `stride`-th one kept (the stride doubled
    when `limit` are held), and the last one always; a step logged again replaces the rest."""

    def __init__(self, limit: int = KEPT):
        self.items: list[E] = []
        self.last: E | None = None
        self.stride, self.seen, self.limit = 1, 0, limit

    def add(self, event: E) -> None:
        if self.last is not None and event.step <= self.last.step:
            self.cut(event.step)
        if self.seen % self.stride == 0:
            self.items.append(event)
            if len(self.items) > self.limit:
                self.items, self.stride = self.items[::2], self.stride * 2
        self.seen += 1
        self.last = event

    def cut(self, step: int) -> None:
        self.items = [e for e in self.items if e.step < step]
        self.last = self.items[-1] if self.items else None
        self.seen = len(self.items) * self.stride

    def list(self) -> list[E]:
        if self.last is None or (self.items and self.items[-1] is self.last):
            return list(self.items)
        return [*self.items, self.last]


@dataclass
class RunRecords:
    """Everything `report` draws, from metrics.jsonl and preset.toml alone."""

    path: Path
    name: str
    preset: str
    family: Family
    loss_kind: str
    image_size: int = 28
    logged: dict[str, Series] = field(default_factory=dict)  # StepMetrics values by key
    step_records: int = 0
    evals: list[ev.Evaluated] = field(default_factory=list)
    samples: list[ev.Samples] = field(default_factory=list)
    toy: list[ev.Toy1DSnapshot] = field(default_factory=list)

    @property
    def probabilities(self) -> bool:
        """D's outputs are probabilities (0.5 = equilibrium): BCE GANs."""
        return self.family.adversarial and self.loss_kind in BCE_LIKE

    def series(self, key: str) -> tuple[list[float], list[float]]:
        """(steps, values) of one StepMetrics value to draw raw, where records have it."""
        s = self.logged.get(key)
        return s.points() if s is not None else ([], [])

    def trend(self, key: str) -> tuple[list[float], list[float]]:
        """(steps, values) to smooth: the records, or the means of their buckets."""
        s = self.logged.get(key)
        return s.means() if s is not None else ([], [])


def _preset_view(path: Path) -> RunView:
    """preset.toml as the dashboard reads it, from bytes read without following a link."""
    return RunView.open(path, read.read_small(path / PRESET, within=path))


def read_run(path: Path) -> RunRecords:
    """A run's records, streamed: memory is bounded whatever the length of metrics.jsonl.
    A folder without metrics.jsonl is one UsageError line; a link or a FIFO in a file's
    place inside the run is refused (UnsafePath), never followed."""
    path = Path(path)
    with read.open_in(path / METRICS, within=path) as fh:
        if fh is None:
            raise UsageError(f"{path}: not a run directory (no metrics.jsonl)")
    view = _preset_view(path)
    # The name is shown (titles, report.md): escaped once here, like every name from disk.
    run = RunRecords(
        path, one_line(path.name), view.preset, view.kind, view.loss_kind, view.image_size
    )
    evals, samples, toy = Kept[ev.Evaluated](), Kept[ev.Samples](), Kept[ev.Toy1DSnapshot]()
    for e in read.events(path / METRICS, within=path):
        if isinstance(e, ev.StepMetrics):
            run.step_records += 1
            for key, value in e.items():
                s = run.logged.get(key)
                if s is None:
                    s = run.logged[key] = Series()
                s.add(e.step, value)
        elif isinstance(e, ev.Evaluated):
            evals.add(e)
        elif isinstance(e, ev.Samples):
            samples.add(e)
        elif isinstance(e, ev.Toy1DSnapshot):
            toy.add(e)
    run.evals, run.samples, run.toy = evals.list(), samples.list(), toy.list()
    return run


def spaced(items: list, k: int) -> list:
    """k items evenly spaced over the list, first and last included, in order."""
    if k >= len(items):
        return list(items)
    if k <= 1:
        return items[-1:]
    idx = sorted({round(i * (len(items) - 1) / (k - 1)) for i in range(k)})
    return [items[i] for i in idx]
