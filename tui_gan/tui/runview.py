"""What the dashboard knows about a run, rebuilt from its directory (no textual, no torch)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_gan.engine.control import read_status, run_state
from tui_gan.engine.records import parse_line
from tui_gan.engine.safeio import open_regular, read_bytes
from tui_gan.tui.history import History

MAX_EVENTS = 200
READ_CHUNK = 16 << 20  # per poll: a huge file is read over several polls, not in one gulp


def display_path(path: Path) -> str:
    """Relative to the working directory when under it (short, and what the user typed)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class RunTail:
    """Reads new whole lines of metrics.jsonl since the last call (a live run appends)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0
        self._partial = b""
        self._inode: int | None = None
        self.reset = False  # the last read started over: a resume rewrote the file

    def read(self) -> list[dict[str, Any]]:
        """New records, each checked (records.py): a torn, foreign or junk line is skipped."""
        self.reset = False
        fh = open_regular(self.path)  # never blocks: a FIFO or a device is not a metrics file
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
        return [rec for rec in map(parse_line, lines) if rec is not None]


@dataclass
class RunView:
    """The dashboard's model of one run; `apply` folds in metrics.jsonl records."""

    run_dir: Path
    preset: str = "?"
    dataset: str = "?"
    device: str = "?"
    family: str = ""
    image_size: int = 28
    state: str = "starting"
    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    time: float = 0.0
    img_per_s: float = 0.0
    loss_d: History = field(default_factory=History)
    loss_g: History = field(default_factory=History)
    d_real: History = field(default_factory=History)
    d_fake: History = field(default_factory=History)
    fid: History = field(default_factory=History)  # FID (1-D: W1) over the run's evals
    last_eval: dict[str, Any] | None = None
    best_eval: dict[str, float] = field(default_factory=dict)  # best recall/coverage so far
    samples: dict[str, Any] | None = None
    toy: dict[str, Any] | None = None
    events: list[str] = field(default_factory=list)
    new_events: list[str] = field(default_factory=list)
    error: str | None = None
    updated: float = 0.0  # wall time of the last record seen
    loss_kind: str = "bce"
    status_broken: bool = False  # status.json exists but cannot be read (said once)

    @classmethod
    def open(cls, run_dir: Path) -> RunView:
        view = cls(Path(run_dir))
        view.read_preset()
        return view

    def read_preset(self) -> None:
        """What the header needs from preset.toml, each field taken only when it has the right
        type; a missing or broken file leaves the defaults (a newer tui-gan's extra fields
        are no reason to show nothing)."""
        from tui_gan.config import load_toml_bytes
        from tui_gan.errors import PresetError

        path = self.run_dir / "preset.toml"
        data = read_bytes(path)
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

    @property
    def is_toy(self) -> bool:
        return self.family == "toy1d"

    @property
    def probabilities(self) -> bool:
        """BCE presets report D outputs as probabilities (0.5 is equilibrium)."""
        return self.loss_kind != "lsgan"

    def note(self, text: str) -> None:
        # Stamped with the step, not the clock: attach to a finished run reads the same.
        line = f"[{self.step}] {text}"
        self.events.append(line)
        del self.events[:-MAX_EVENTS]
        self.new_events.append(line)

    def drain_events(self) -> list[str]:
        out, self.new_events = self.new_events, []
        return out

    def apply(self, rec: dict[str, Any]) -> None:
        kind = rec.get("type")
        self.updated = time.time()
        if "step" in rec:
            self.step = max(self.step, int(rec["step"])) if kind != "start" else int(rec["step"])
        if kind == "start":
            self.total_steps = int(rec.get("total_steps", 0))
            self.device = rec.get("device", self.device)
            self.state = "running"
            self.read_preset()
            self.note(f"run started at step {rec.get('step', 0)} on {self.device}")
        elif kind == "step":
            self.epoch, self.time = rec["epoch"], rec["time"]
            self.img_per_s = rec.get("img_per_s", self.img_per_s)
            self.loss_d.append(rec["loss_d"])
            self.loss_g.append(rec["loss_g"])
            self.d_real.append(rec["d_real"])
            self.d_fake.append(rec["d_fake"])
        elif kind == "samples":
            self.samples = rec
        elif kind == "toy1d":
            self.toy = rec
        elif kind == "eval":
            self.last_eval = rec
            self.fid.append(rec["fid"] if "fid" in rec else rec.get("w1", 0.0))
            for key in ("recall", "coverage"):
                if key in rec:
                    self.best_eval[key] = max(self.best_eval.get(key, 0.0), rec[key])
        elif kind == "checkpoint":
            self.note(f"checkpoint saved: {display_path(self.run_dir / rec['path'])}")
        elif kind == "paused":
            self.state = "paused"
            self.note(f"paused at step {rec['step']}")
        elif kind == "resumed":
            self.state = "running"
            self.note(f"resumed at step {rec['step']}")
        elif kind == "finished":
            self.state = rec.get("state", "finished")
            self.note(f"run {self.state} at step {rec['step']}")
        elif kind == "notice":
            prefix = "warning: " if rec.get("level") == "warning" else ""
            self.note(prefix + rec.get("message", ""))
        elif kind == "failed":
            self.state = "failed"
            self.error = rec.get("error", "failed")
            self.note(f"error: {self.error}")

    def refresh_state(self) -> None:
        """Trust status.json for liveness: a run whose process died reads as failed."""
        status = read_status(self.run_dir)
        if status is None:
            if (self.run_dir / "status.json").exists() and not self.status_broken:
                self.status_broken = True  # said once; the records' state stands
                self.note("warning: status.json is unreadable; the state shown is the records'")
            return
        self.status_broken = False
        self.state = run_state(self.run_dir)
        self.total_steps = int(status.get("total_steps", self.total_steps) or self.total_steps)

    def eval_alarm(self) -> str | None:
        """Why the latest eval looks like collapse: recall or coverage fell to half its best."""
        e = self.last_eval or {}
        for key in ("coverage", "recall"):
            best = self.best_eval.get(key, 0.0)
            if key in e and best >= 0.1 and e[key] < 0.5 * best:
                return f"{key} fell {best:.2f}->{e[key]:.2f}"
        return None

    @property
    def eta(self) -> float | None:
        if self.step <= 0 or self.time <= 0 or self.total_steps <= self.step:
            return None
        return self.time / self.step * (self.total_steps - self.step)
