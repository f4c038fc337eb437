"""What the viewers know about a run, rebuilt from its directory (no textual, no torch)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui_gan.config import BCE_LIKE
from tui_gan.engine import events as ev
from tui_gan.errors import one_line
from tui_gan.families import METRIC_KEYS, RATIO_KEY, Family, family
from tui_gan.rundir.names import PRESET
from tui_gan.rundir.read import MAX_STEP, open_regular, read_bytes
from tui_gan.rundir.state import LIVE_STATES, Observed, RunState
from tui_gan.rundir.status import read_status, run_state
from tui_gan.view.history import History

if TYPE_CHECKING:
    from tui_gan.config import Preset

RECORDED = (*METRIC_KEYS, RATIO_KEY)
# G's loss this many times D's: D is winning outright (at a BCE equilibrium the ratio is
# about 0.5; the seed's warm-started G sat at 1,000-10,000).
DOMINANCE_RATIO = 10.0
READ_CHUNK = 16 << 20  # per poll: a huge file is read over several polls, not in one gulp


def display_path(path: Path) -> str:
    """Relative to the working directory when under it (short, and what the user typed);
    escaped, as every name from disk is on the way to the terminal."""
    try:
        shown = Path(path).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = Path(path)
    return one_line(shown)


class RunTail:
    """Reads new whole lines of metrics.jsonl since the last call (a live run appends)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0
        self._partial = b""
        self._inode: int | None = None
        self.reset = False  # the last read started over: a resume rewrote the file

    def read(self) -> list[ev.Event]:
        """New records as events, each checked: a torn, foreign or junk line is skipped."""
        self.reset = False
        fh = open_regular(
            self.path, follow=False
        )  # never blocks: a FIFO or a device is not a metrics file
        if fh is None:
            return []
        with fh:
            st = os.fstat(fh.fileno())
            # A resume replaces the file (a new inode), and it may have grown past our
            # offset again before we look: the inode tells, the size alone would not.
            if st.st_ino != self._inode or st.st_size < self.offset:
                self.reset = self._inode is not None
                self.offset, self._partial, self._inode = 0, b"", st.st_ino
            fh.seek(self.offset)
            chunk = fh.read(READ_CHUNK)
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # an unfinished line waits for its end
        return [e for e in map(ev.parse_line, lines) if e is not None]


def observe(run_dir: Path) -> tuple[Observed, int | None]:
    """The run's state and total steps as status.json tells them (it owns them)."""
    status = read_status(run_dir)
    return run_state(run_dir, status), status.total_steps if status is not None else None


@dataclass
class RunView:
    """The dashboard's model of one run: `apply` folds in its events (history), `set_state`
    what status.json says (the state itself)."""

    run_dir: Path
    preset: str = "?"
    dataset: str = "?"
    device: str = "?"
    gpu: str | None = None  # the run's GPU by UUID, from its start record (NVML finds it)
    family: str = ""
    image_size: int = 28
    observed: Observed = "unknown"  # from status.json
    recorded: RunState = "starting"  # from the records: shown only while status.json is not
    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    time: float = 0.0
    img_per_s: float = 0.0
    # Every logged value of the family's records (tui_gan/families), plus G/D's loss ratio.
    series: dict[str, History] = field(default_factory=dict)
    ratio: float | None = None  # the latest step record's g_d_ratio
    fid: History = field(default_factory=History)  # FID (1-D: W1) over the run's evals
    last_eval: ev.Evaluated | None = None
    best_recall: float = 0.0  # the best so far, for the collapse alarm
    best_coverage: float = 0.0
    samples: ev.Samples | None = None
    toy: ev.Toy1DSnapshot | None = None
    interp: ev.CheckpointSaved | None = None  # the last checkpoint that drew latent walks
    notes: list[str] = field(default_factory=list)  # lines for the event log, not yet shown
    updated: float = 0.0  # wall time of the last record seen
    timed_at: float | None = None  # time.monotonic() when the latest step record was applied
    loss_kind: str = "bce"
    skipped: int = 0  # records past the run's last step, left out

    @classmethod
    def open(cls, run_dir: Path, preset: bytes | None = None) -> RunView:
        """The view of a run; `preset`: preset.toml's bytes when the caller read them itself."""
        view = cls(Path(run_dir))
        view.read_preset(preset)
        return view

    @classmethod
    def launched(cls, run_dir: Path, preset: Preset) -> RunView:
        """The view of a run this dashboard is starting, filled from the preset it was given
        (validated, no torch): the header names preset, data and device from the first frame,
        before the run has written anything."""
        view = cls(Path(run_dir))
        view.preset, view.dataset = preset.name, preset.data.name
        view.family, view.image_size = preset.model.family, preset.data.image_size
        view.loss_kind = preset.loss.kind
        view.device = expected_device(preset.train.device)
        view.total_steps = preset.train.steps or 0  # 0 when it counts epochs: status.json tells
        return view

    def read_preset(self, data: bytes | None = None) -> None:
        """What the header needs from preset.toml, each field taken only when it has the right
        type; a missing or broken file leaves the defaults (a newer tui-gan's extra fields
        are no reason to show nothing). A link in the file's place is not followed."""
        from tui_gan.config import load_toml_bytes
        from tui_gan.errors import PresetError

        path = self.run_dir / PRESET
        if data is None:
            data = read_bytes(path, follow=False)
        if data is None:
            return
        try:
            preset = load_toml_bytes(data, path)
        except PresetError:
            return

        def pick(table: str | None, key: str, kind: type, default):
            node = preset.get(table, {}) if table else preset
            value = node.get(key) if isinstance(node, dict) else None
            ok = isinstance(value, kind) and not isinstance(value, bool)
            return value if ok else default

        self.preset = pick(None, "name", str, self.preset)
        self.dataset = pick("data", "name", str, self.dataset)
        self.family = pick("model", "family", str, "")
        size = pick("data", "image_size", int, 28)
        self.image_size = size if 1 <= size <= 4096 else 28
        self.loss_kind = pick("loss", "kind", str, "bce")
        if self.device == "?":  # what it asked for ("auto" too) until its start record says
            self.device = pick("train", "device", str, "?")

    def hist(self, key: str) -> History:
        """The history of one StepMetrics value (empty until the run logs it)."""
        h = self.series.get(key)
        if h is None:
            h = self.series[key] = History()
        return h

    @property
    def loss_d(self) -> History:
        return self.hist("loss_d")

    @property
    def loss_g(self) -> History:
        return self.hist("loss_g")

    @property
    def d_real(self) -> History:
        return self.hist("d_real")

    @property
    def d_fake(self) -> History:
        return self.hist("d_fake")

    @property
    def kind(self) -> Family:
        """The run's family as its descriptor declares it (its panels and records)."""
        return family(self.family)

    def d_dominates(self) -> float | None:
        """G's loss over D's in the latest record when D is far ahead (DOMINANCE_RATIO or
        more), else None: a record without a ratio clears the alarm."""
        if self.ratio is None or self.ratio < DOMINANCE_RATIO:
            return None
        return self.ratio

    @property
    def is_toy(self) -> bool:
        return self.kind.one_d

    @property
    def conditional(self) -> bool:
        """G draws a class it is told: its grids keep one column per class."""
        return self.kind.conditional

    @property
    def probabilities(self) -> bool:
        """BCE presets report D outputs as probabilities (0.5 is equilibrium); the other
        losses (lsgan, hinge, wgan-gp) report D's raw scores."""
        return self.kind.adversarial and self.loss_kind in BCE_LIKE

    def note(self, text: str) -> None:
        # Stamped with the step, not the clock: attach to a finished run reads the same.
        self.notes.append(f"[{self.step}] {text}")

    def take_notes(self) -> list[str]:
        out, self.notes = self.notes, []
        return out

    @property
    def state(self) -> Observed:
        if self.observed in ("unknown", "unreadable"):
            return self.recorded
        return self.observed

    def past_the_end(self, event: ev.Event) -> bool:
        """A record beyond the run's last step (its own, for a start record) is not its
        history: a hand-edited or foreign line would read as step 10^18 of 20."""
        last = event.total_steps if isinstance(event, ev.RunStarted) else self.total_steps
        return event.step > MAX_STEP or bool(last) and event.step > last

    def apply(self, event: ev.Event) -> None:
        if self.past_the_end(event):
            self.skipped += 1
            if self.skipped == 1:  # once: a file of junk must not flood the log
                self.note(
                    f"warning: skipped a {event.TYPE} record at step {event.step}, past the "
                    f"run's {self.total_steps or '?'} steps (metrics.jsonl has junk in it)"
                )
            return
        self.updated = time.time()
        self.step = max(self.step, event.step)
        match event:
            case ev.RunStarted():
                self.step, self.total_steps = event.step, event.total_steps
                self.device, self.recorded = event.device, "running"
                self.gpu = event.gpu
                self.read_preset()
                self.note(f"run started at step {event.step} on {self.device}")
            case ev.StepMetrics():
                self.epoch, self.time = event.epoch, event.time
                self.timed_at = time.monotonic()
                self.img_per_s = event.img_per_s or self.img_per_s
                was = self.d_dominates()
                self.ratio = event.g_d_ratio
                for key in RECORDED:
                    value = event.value(key)
                    if value is not None:
                        self.hist(key).append(value, step=event.step)
                if was is None and (now := self.d_dominates()) is not None:
                    self.note(
                        f"D dominates: G's loss is {now:,.0f}x D's, so G gets little gradient; "
                        "try loss.label_smoothing=0.1-0.3 or a lower optim.d.lr"
                    )
            case ev.Samples():
                self.samples = event
            case ev.Toy1DSnapshot():
                self.toy = event
            case ev.Evaluated():
                self.last_eval = event
                self.fid.append(event.score, step=event.step)
                self.best_recall = max(self.best_recall, event.recall or 0.0)
                self.best_coverage = max(self.best_coverage, event.coverage or 0.0)
            case ev.CheckpointSaved():
                self.note(f"checkpoint saved: {display_path(self.run_dir / event.path)}")
                if event.interp is not None:
                    self.interp = event
            case ev.Paused():
                self.recorded = "paused"
                self.note(f"paused at step {event.step}")
            case ev.Resumed():
                self.recorded = "running"
                self.note(f"resumed at step {event.step}")
            case ev.Finished():
                self.recorded = event.state
                self.note(f"run {event.state} at step {event.step}")
            case ev.Notice():
                self.note(("warning: " if event.level == "warning" else "") + event.message)
            case ev.Failed():
                self.recorded = "failed"
                self.note(f"error: {event.error}")

    def set_state(self, state: Observed, total_steps: int | None = None) -> None:
        """What status.json says; a run whose process died reads as failed there."""
        if state == "unreadable" and self.observed != "unreadable":
            self.note("warning: status.json is unreadable; the state shown is the records'")
        self.observed = state
        self.total_steps = total_steps or self.total_steps

    def eval_alarm(self) -> str | None:
        """Why the latest eval looks like collapse: recall or coverage fell to half its best."""
        e = self.last_eval
        if e is None:
            return None
        for key, best, now in (
            ("coverage", self.best_coverage, e.coverage),
            ("recall", self.best_recall, e.recall),
        ):
            if now is not None and best >= 0.1 and now < 0.5 * best:
                return f"{key} fell {best:.2f}->{now:.2f}"
        return None

    def sample_grid(
        self, fresh: bool, interp: bool = False, recon: bool = False
    ) -> tuple[Path, int] | None:
        """The PNG the samples panel shows and its tiles per row, as the record says: the
        fixed-noise grid, the fresh samples, the latest checkpoint's latent walks, or a VAE's
        real images beside their reconstructions."""
        if interp:
            c = self.interp
            if c is None or c.interp is None or c.interp_steps is None:
                return None
            return self.run_dir / c.interp, c.interp_steps
        s = self.samples
        if s is None:
            return None
        if recon:
            if s.recon is None or s.recon_nrow is None:
                return None
            return self.run_dir / s.recon, s.recon_nrow
        if fresh:
            return self.run_dir / s.fresh, s.fresh_nrow
        return self.run_dir / s.path, s.nrow

    def elapsed(self, now: float | None = None) -> float:
        """Training time: the latest record's, carried on by the clock while the run runs, so
        it ticks between records; a paused or ended run's stands still."""
        if self.state != "running" or self.timed_at is None:
            return self.time
        now = time.monotonic() if now is None else now
        return self.time + max(0.0, now - self.timed_at)

    @property
    def eta(self) -> float | None:
        """The time left at the latest record's pace; none for a run that no longer trains."""
        if self.state not in LIVE_STATES:
            return None
        if self.step <= 0 or self.time <= 0 or self.total_steps <= self.step:
            return None
        return self.time / self.step * (self.total_steps - self.step)

    def eta_at(self, now: float | None = None) -> float | None:
        """The ETA counted down by the clock between records, as `elapsed` counts up."""
        eta = self.eta
        if eta is None:
            return None
        return max(0.0, eta - (self.elapsed(now) - self.time))


def expected_device(asked: str, env: Mapping[str, str] | None = None) -> str:
    """The device a run will train on, told without torch: what the preset asks; for "auto",
    "cpu" where no NVIDIA GPU can be seen (Linux: no driver's device node, or
    CUDA_VISIBLE_DEVICES hiding them all), else "auto" until its start record says."""
    if asked != "auto":
        return asked
    env = os.environ if env is None else env
    hidden = env.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1")
    if sys.platform.startswith("linux") and (hidden or not os.path.exists("/dev/nvidiactl")):
        return "cpu"
    return "auto"
