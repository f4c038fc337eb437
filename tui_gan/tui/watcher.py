"""The run watcher: one thread that reads the runs' files and posts what changed as messages.

It knows nothing of the screen: it asks `targets()` what to watch and hands messages to
`post`, so a test drives it with a list's append and a lambda, without an App.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from textual.message import Message

from tui_gan.rundir.lock import verified_pid
from tui_gan.rundir.names import METRICS
from tui_gan.rundir.state import LIVE_STATES, Observed
from tui_gan.rundir.status import read_status
from tui_gan.tui.messages import ProcessExited, RecordsArrived, ResourcesRead, Said, StateChanged
from tui_gan.view.runview import RunTail, observe

# Each wake-up of the dashboard takes a core from training for a moment, and on a 2-core
# machine torch's threads wait for each other: the watcher looks often only while the run
# changes, and backs off to a calm period while nothing does.
POLL_S = 0.5  # after news: a live run's records reach the screen within about this
CALM_S = 2.0  # the longest wait between looks while nothing changes
RESOURCES_S = 2.0  # how often the run's CPU, memory and GPU are read (never by the run)


class Popen(Protocol):
    returncode: int | None

    def poll(self) -> int | None: ...


class Reader(Protocol):
    def read(self, pid: int | None, device: str, uuid: str | None = None) -> str: ...


@dataclass(frozen=True)
class Targets:
    """What the screen wants watched, as the UI thread last set it (replaced whole, never
    changed in place, so the watcher's thread reads a consistent one)."""

    shown: Path | None = None  # the run on screen: its records, state and resources
    device: str = "?"  # the shown run's device and GPU (its start record's): for resources
    gpu: str | None = None
    procs: Mapping[Path, Popen] = field(default_factory=dict)  # processes this dashboard started
    starting: frozenset[Path] = frozenset()  # runs whose first state is awaited


class RunWatcher:
    """The shown run's new records, each watched run's state, the exits of the processes the
    dashboard started, and the shown run's resources, each posted when it changes."""

    def __init__(
        self,
        post: Callable[[Message], Any],
        targets: Callable[[], Targets],
        reader: Reader | None = None,
    ):
        self.post, self.targets, self.reader = post, targets, reader
        self.tail: RunTail | None = None
        self.seen: dict[Path, Observed] = {}
        self.exited: set[Path] = set()
        self.resources: tuple[Path | None, str] | None = None  # the last line posted
        self._failing = ""  # the last error said: said once, not at every look
        self._wake = threading.Event()
        self._stopped = False

    def poll(self) -> bool:
        """One look at the files; True when something was posted."""
        t = self.targets()
        shown, posted = t.shown, False
        if shown is not None and (self.tail is None or self.tail.path.parent != shown):
            self.tail = RunTail(shown / METRICS)
            self.seen.pop(shown, None)  # a new view needs its state too
        ended = [
            (d, p.returncode)
            for d, p in t.procs.items()
            if d not in self.exited and p.poll() is not None
        ]
        if self.tail is not None:  # read after the poll: an ended process's last records are in
            events = self.tail.read()
            if events or self.tail.reset:
                self.post(RecordsArrived(self.tail.path.parent, events, self.tail.reset))
                posted = True
        for run_dir, returncode in ended:
            self.exited.add(run_dir)
            self.post(ProcessExited(run_dir, returncode))
            posted = True
        for run_dir in {shown, *t.starting} - {None}:
            state, total = observe(run_dir)
            if self.seen.get(run_dir) != state:
                self.seen[run_dir] = state
                self.post(StateChanged(run_dir, state, total))
                posted = True
        return posted

    def read_resources(self) -> None:
        """The shown run's process and GPU, posted when the line differs from the last."""
        if self.reader is None:
            return
        t = self.targets()
        line = ""
        if t.shown is not None:
            try:
                status = read_status(t.shown)
                # Only a PID proven to be this run's trainer: a stale or forged status.json
                # must not put a stranger's numbers on the screen.
                live = status is not None and status.state in LIVE_STATES
                pid = verified_pid(t.shown, status) if live else None
                line = self.reader.read(pid, t.device, t.gpu)
            except Exception:  # noqa: BLE001 - a reading is a nicety: never an error
                line = ""
        if (t.shown, line) != self.resources:
            self.resources = (t.shown, line)
            self.post(ResourcesRead(t.shown, line))

    def look(self) -> bool:
        """poll(), an error said once (the watching goes on); True when something changed."""
        try:
            changed = self.poll()
            self._failing = ""
            return changed
        except Exception as err:  # noqa: BLE001 - say it (once), keep watching
            why = f"error: watching the run: {type(err).__name__}: {err}"
            if why != self._failing:
                self._failing = why
                self.post(Said(why))
            return False

    def wake(self) -> None:
        """Look now: something is expected to change (a key sent a request, a run started)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def run(self, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Look until stopped: every POLL_S while things change, slowing to CALM_S."""
        period, next_resources = POLL_S, 0.0
        while not (self._stopped or cancelled()):
            changed = self.look()
            now = time.monotonic()
            if now >= next_resources:
                next_resources = now + RESOURCES_S
                self.read_resources()
            period = POLL_S if changed else min(CALM_S, period * 2)
            if self._wake.wait(period):
                self._wake.clear()
                period = POLL_S
