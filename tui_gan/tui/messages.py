"""The dashboard's messages: what its workers tell the UI thread (they post; it handles)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from tui_gan.engine import events as ev
from tui_gan.rundir.state import Observed
from tui_gan.stopping import StopOutcome


@dataclass
class RecordsArrived(Message):
    """New metrics.jsonl records of the run on screen. Never replaced: every record counts
    (the histories and the event log are built from all of them)."""

    run_dir: Path
    events: list[ev.Event]
    reset: bool = False  # the file was rewritten (a resume): rebuild the view from these


@dataclass
class StateChanged(Message):
    """status.json of a watched run says something new (or the run's process died)."""

    run_dir: Path
    state: Observed
    total_steps: int | None

    def can_replace(self, message: Message) -> bool:
        # A newer state of the same run makes this one stale: a slow screen shows the latest.
        return isinstance(message, StateChanged) and message.run_dir == self.run_dir


@dataclass
class Said(Message):
    """A line for the event log from the watcher thread."""

    text: str


@dataclass
class ResourcesRead(Message):
    """The run's process and GPU, read every few seconds (an empty line: nothing running)."""

    run_dir: Path | None
    line: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ResourcesRead)


@dataclass
class ReportWritten(Message):
    """`tui-gan report` on the run on screen has finished."""

    run_dir: Path
    ok: bool
    line: str


@dataclass
class StopSettled(Message):
    """How the run that q asked to stop has ended (read off the UI thread: it loads torch)."""

    outcome: StopOutcome


@dataclass
class ProcessExited(Message):
    """A training process this dashboard started has exited."""

    run_dir: Path
    returncode: int
