"""status.json: the trainer's state, process and step, as one typed record read and written here."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_gan.errors import from_os_error
from tui_gan.rundir.lock import lock_held, process_start_time
from tui_gan.rundir.names import STATUS
from tui_gan.rundir.read import is_count, is_number, is_step, read_json_object
from tui_gan.rundir.state import LIVE_STATES, STATES, Observed, RunState
from tui_gan.rundir.write import write_file


@dataclass(frozen=True)
class Status:
    """What status.json says; a field it lacks, or holds with the wrong type, is None."""

    state: RunState
    """starting, running, paused, finished, stopped, interrupted or failed."""
    pid: int | None = None
    """The trainer's process id (believed only with the proof in rundir.lock.verified_pid)."""
    host: str | None = None
    """The machine the trainer runs on: a pid means nothing on another."""
    started: float | None = None
    """When the trainer's process started (epoch seconds, as the OS reports it)."""
    updated: float | None = None
    """When the trainer last wrote this file (epoch seconds)."""
    step: int | None = None
    """The step the run was at when it wrote this (where it started, while starting)."""
    total_steps: int | None = None
    """The step the run trains to."""
    preset: str | None = None
    """The preset's name."""
    error: str | None = None
    """Why the run failed, one line; only while it stays failed."""

    @classmethod
    def from_dict(cls, raw: Any) -> Status | None:
        """The status a parsed status.json holds, keeping only fields of the right type;
        None when it is no object or has no known state."""
        if not isinstance(raw, dict) or raw.get("state") not in STATES:
            return None
        return cls(**{k: v for k, v in raw.items() if k in _CHECKS and _CHECKS[k](v)})

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, as status.json holds them."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


# The type each field must have to be believed.
_CHECKS: dict[str, Callable[[Any], bool]] = {
    "state": lambda v: v in STATES,
    "pid": is_count,
    "host": lambda v: isinstance(v, str),
    "started": is_number,
    "updated": is_number,
    "step": is_step,  # the one bound on a step, as records and checkpoints have it
    "total_steps": is_step,
    "preset": lambda v: isinstance(v, str),
    "error": lambda v: isinstance(v, str),
}
assert set(_CHECKS) == {f.name for f in dataclasses.fields(Status)}


def read_status(run_dir: Path) -> Status | None:
    """status.json, or None when missing or unreadable (not JSON, not an object, no known
    state)."""
    return Status.from_dict(read_json_object(Path(run_dir) / STATUS))


def save_status(run_dir: Path, status: Status) -> None:
    """Write `status` as the run's status.json, as it is (the trainer uses write_status)."""
    path = Path(run_dir) / STATUS
    try:
        write_file(path, json.dumps(status.to_dict()), within=path.parent)
    except OSError as err:
        raise from_os_error(err, path) from None  # one line naming the file


def write_status(
    run_dir: Path,
    state: RunState,
    *,
    step: int | None = None,
    total_steps: int | None = None,
    preset: str | None = None,
    error: str | None = None,
) -> None:
    """In the trainer: the run is now in `state`, signed with this process; the fields not
    given keep their old values, except an earlier failure's reason (history once the run
    goes on)."""
    old = read_status(run_dir)
    given = {"step": step, "total_steps": total_steps, "preset": preset, "error": error}
    kept = {} if old is None else dataclasses.replace(old, error=None).to_dict()
    new = {**kept, **{k: v for k, v in given.items() if v is not None}}
    new.update(
        state=state,
        pid=os.getpid(),
        started=process_start_time(),
        host=socket.gethostname(),
        updated=time.time(),
    )
    save_status(run_dir, Status(**new))


_READ: Any = object()  # run_state reads status.json itself unless given what was read


def run_state(run_dir: Path, status: Status | None = _READ) -> Observed:
    """running, paused, finished, stopped, interrupted or failed; "unknown" without a
    status.json, "unreadable" with a broken one. A live state whose trainer is gone (killed,
    machine rebooted) reads as failed: the lock tells, not the PID, which may be reused."""
    if status is _READ:
        status = read_status(run_dir)
    if status is None:
        return "unreadable" if os.path.lexists(Path(run_dir) / STATUS) else "unknown"
    if status.state in LIVE_STATES and status.host == socket.gethostname():
        if not lock_held(run_dir):
            # The trainer writes its end state and then lets go of the lock: one that ended
            # between our read and the lock test has a status that now says so.
            again = read_status(run_dir)
            if again is not None and again.state not in LIVE_STATES:
                return again.state
            return "failed"
    return status.state
