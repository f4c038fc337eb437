"""A run's states: the one definition status.json, the records and every reader share."""

from __future__ import annotations

from typing import Literal, get_args

RunState = Literal["starting", "running", "paused", "finished", "stopped", "interrupted", "failed"]
EndState = Literal["finished", "stopped", "interrupted"]  # how a loop that ran to its end ended
# What a reader may find besides a state: no status.json (not a run), or a broken one.
Observed = RunState | Literal["unknown", "unreadable"]

STATES: tuple[RunState, ...] = get_args(RunState)
LIVE_STATES: tuple[RunState, ...] = ("starting", "running", "paused")
