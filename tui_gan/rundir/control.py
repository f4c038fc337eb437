"""Control requests: a front end asks a live run to pause, save or stop (control.json + SIGUSR1)."""

from __future__ import annotations

import json
import os
import signal
import socket
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from tui_gan.errors import from_os_error
from tui_gan.rundir.lock import verified_pid
from tui_gan.rundir.names import CONTROL
from tui_gan.rundir.read import is_count, read_json_object
from tui_gan.rundir.state import LIVE_STATES, EndState
from tui_gan.rundir.status import read_status, run_state
from tui_gan.rundir.write import write_file

# SIGUSR1 means "re-read control.json": the file says what is wanted, the signal only wakes
# the run, so a lost or doubled signal never flips a state the wrong way.
WAKE = getattr(signal, "SIGUSR1", None)
_CLEAN_CONTROL = {"pause": False, "save": 0, "stop": False}
SAVE_WRAP = 2**31  # the save counter wraps here, far below any bound a reader checks


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        write_file(path, json.dumps(data), within=path.parent)
    except OSError as err:
        raise from_os_error(err, path) from None  # one line naming the file


def request(run_dir: Path, **changes: Any) -> bool:
    """Ask a live run to change: pause=True/False, save=True, stop=True. False when the run is
    not live or its process cannot be proven to be this run's trainer (then nothing is sent)."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    if status is None or status.state not in LIVE_STATES:
        return False
    pid = verified_pid(run_dir, status)
    if pid is None or WAKE is None:
        return False
    ctl = parse_control(read_json_object(run_dir / CONTROL)) or dict(_CLEAN_CONTROL)
    if changes.pop("save", False):
        ctl["save"] = (ctl["save"] + 1) % SAVE_WRAP  # the run saves when the count changes
    ctl.update(changes)
    _write_json(run_dir / CONTROL, ctl)  # a read-only run directory: one line, via main
    try:
        os.kill(pid, WAKE)
    except OSError:
        return False  # it exited between the check and the signal
    return True


def why_not_live(run_dir: Path) -> str:
    """One line on why `request` sent nothing, for stop, attach and the dashboard."""
    status = read_status(run_dir)
    state = run_state(run_dir)
    if status is None or state not in LIVE_STATES:
        return f"{run_dir}: the run is not live ({state})"
    if status.host != socket.gethostname():
        return f"{run_dir}: the run belongs to host {status.host or '?'}; steer it there"
    pid = "?" if status.pid is None else status.pid
    return (
        f"{run_dir}: the run is not live: status.json names pid {pid}, "
        "which is not this run's trainer"
    )


def parse_control(raw: Any) -> dict[str, Any] | None:
    """A control request as {"pause": bool, "save": int >= 0, "stop": bool}, or None."""
    if not isinstance(raw, dict) or set(raw) - set(_CLEAN_CONTROL):
        return None
    ctl = {**_CLEAN_CONTROL, **raw}
    if not isinstance(ctl["pause"], bool) or not isinstance(ctl["stop"], bool):
        return None
    if not is_count(ctl["save"]):
        return None
    return ctl


class _Switch(Protocol):
    def set(self) -> None: ...
    def clear(self) -> None: ...


class Steerable(Protocol):
    """What RemoteControl sets: the loop's controls (tui_gan.engine.control.Controls)."""

    pause: _Switch
    save: _Switch
    wake: bool
    on_wake: Any

    def request_stop(self, state: EndState = "stopped") -> None: ...
    def reject(self, why: str) -> None: ...


class RemoteControl:
    """In the training process: on SIGUSR1, apply control.json to the loop's Controls."""

    def __init__(self, run_dir: Path, controls: Steerable):
        self.run_dir, self.controls = Path(run_dir), controls
        self.saves_seen = 0

    def install(self) -> None:
        # Start from a clean control file: requests meant for an earlier process are void.
        _write_json(self.run_dir / CONTROL, dict(_CLEAN_CONTROL))
        self.controls.on_wake = self.apply
        if WAKE is not None:
            signal.signal(WAKE, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:  # noqa: ARG002
        self.controls.wake = True  # only this: no I/O, no locks (see engine.control.Flag)

    def apply(self) -> None:
        """Read control.json and set the flags; called by the loop (Controls.poll). It never
        raises: a rejected request is handed to the loop to log, and the run goes on."""
        try:
            raw = read_json_object(self.run_dir / CONTROL)
            if raw is None and not (self.run_dir / CONTROL).exists():
                return
            ctl = parse_control(raw)
            if ctl is None:
                self.controls.reject(
                    f"ignored a bad control request in {CONTROL}: expected "
                    '{"pause": true|false, "save": N, "stop": true|false}'
                )
                return
            c = self.controls
            if ctl["stop"]:
                c.request_stop("stopped")
            if ctl["pause"]:
                c.pause.set()
            else:
                c.pause.clear()
            if ctl["save"] != self.saves_seen:
                self.saves_seen = ctl["save"]
                c.save.set()
        except Exception as err:  # noqa: BLE001 - a bad request must never end the run
            self.controls.reject(f"ignored a control request: {type(err).__name__}: {err}")
