"""Steer a run from another process (control.json + SIGUSR1) and report its state (status.json)."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

STATUS = "status.json"
CONTROL = "control.json"
LIVE_STATES = ("starting", "running", "paused")
# SIGUSR1 means "re-read control.json": the file says what is wanted, the signal only wakes
# the run, so a lost or doubled signal never flips a state the wrong way.
WAKE = getattr(signal, "SIGUSR1", None)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError, OSError):
        return None


def write_status(run_dir: Path, state: str, **fields: Any) -> None:
    old = _read_json(Path(run_dir) / STATUS) or {}
    _write_json(
        Path(run_dir) / STATUS,
        {
            **old,
            **fields,
            "state": state,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "updated": time.time(),
        },
    )


def read_status(run_dir: Path) -> dict[str, Any] | None:
    return _read_json(Path(run_dir) / STATUS)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_state(run_dir: Path) -> str:
    """running, paused, finished, stopped, interrupted or failed; a live state whose process
    is gone (killed, machine rebooted) reads as failed."""
    status = read_status(run_dir)
    if status is None:
        return "unknown"
    state = status.get("state", "unknown")
    same_host = status.get("host") == socket.gethostname()
    if state in LIVE_STATES and same_host and not pid_alive(int(status.get("pid", 0))):
        return "failed"
    return state


def request(run_dir: Path, **changes: Any) -> bool:
    """Ask a live run to change: pause=True/False, save=True, stop=True. False if not live."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    if not status or status.get("state") not in LIVE_STATES:
        return False
    if status.get("host") != socket.gethostname():
        return False  # a run directory shared over the network: its process is not ours
    ctl = _read_json(run_dir / CONTROL) or {"pause": False, "save": 0, "stop": False}
    if changes.pop("save", False):
        ctl["save"] = int(ctl.get("save", 0)) + 1
    ctl.update(changes)
    _write_json(run_dir / CONTROL, ctl)
    try:
        os.kill(int(status["pid"]), WAKE)
    except (OSError, KeyError, TypeError, ValueError):
        return False  # gone, or a reused pid we may not signal
    return True


class RemoteControl:
    """In the training process: on SIGUSR1, apply control.json to the loop's Controls."""

    def __init__(self, run_dir: Path, controls):
        self.run_dir, self.controls = Path(run_dir), controls
        self.saves_seen = 0

    def install(self) -> None:
        # Start from a clean control file: requests meant for an earlier process are void.
        _write_json(self.run_dir / CONTROL, {"pause": False, "save": 0, "stop": False})
        if WAKE is not None:
            signal.signal(WAKE, lambda signum, frame: self.apply())

    def apply(self) -> None:
        ctl = _read_json(self.run_dir / CONTROL)
        if not ctl:
            return
        c = self.controls
        if ctl.get("stop"):
            c.request_stop("stopped")
        if ctl.get("pause"):
            c.pause.set()
        else:
            c.pause.clear()
        if int(ctl.get("save", 0)) > self.saves_seen:
            self.saves_seen = int(ctl["save"])
            c.save.set()
