"""Steer a run from another process (control.json + SIGUSR1) and report its state (status.json)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_gan.engine.safeio import is_count, is_number, is_step, read_json_object
from tui_gan.engine.state import LIVE_STATES, STATES, EndState, Observed, RunState
from tui_gan.errors import UsageError, from_os_error
from tui_gan.safewrite import write_file

STATUS = "status.json"
CONTROL = "control.json"
LOCK = ".trainer.lock"
# SIGUSR1 means "re-read control.json": the file says what is wanted, the signal only wakes
# the run, so a lost or doubled signal never flips a state the wrong way.
WAKE = getattr(signal, "SIGUSR1", None)
# A recorded process start time and the one the OS reports now may differ by the clock's
# rounding (Linux derives it from boot time in whole seconds); a reused PID is a new process
# started long after, and must also hold this run's lock and be a `tui-gan train`.
START_TOLERANCE_S = 1.0
_CLEAN_CONTROL = {"pause": False, "save": 0, "stop": False}
SAVE_WRAP = 2**31  # the save counter wraps here, far below any bound a reader checks


def _write_json(path: Path, data: dict[str, Any]) -> None:
    try:
        write_file(path, json.dumps(data), within=path.parent)
    except OSError as err:
        raise from_os_error(err, path) from None  # one line naming the file


class Flag:
    """A bool with Event's set/clear/is_set, safe to flip from a signal handler.

    threading.Event takes a lock that a signal handler, which runs between bytecodes of the
    main thread, may find already held by that same thread: a SIGUSR1 flood deadlocked a
    run that way. A plain attribute store takes no lock.
    """

    __slots__ = ("_on",)

    def __init__(self) -> None:
        self._on = False

    def set(self) -> None:
        self._on = True

    def clear(self) -> None:
        self._on = False

    def is_set(self) -> bool:
        return self._on


@dataclass
class Controls:
    """How a front end steers a run: set `stop` to end it (after a checkpoint), `pause` to hold
    it, `save` to ask for a checkpoint at the next step. The loop calls `poll()` each step: a
    signal only raises `wake`, and the request is read there, outside the handler."""

    stop: Flag = field(default_factory=Flag)
    pause: Flag = field(default_factory=Flag)
    save: Flag = field(default_factory=Flag)
    stop_state: EndState = "stopped"  # what Finished.state says: stopped | interrupted
    rejected: list[str] = field(default_factory=list)  # bad remote requests, for the log
    wake: bool = False  # set by the SIGUSR1 handler: control.json has something to read
    on_wake: Callable[[], None] | None = None

    def request_stop(self, state: EndState = "stopped") -> None:
        self.stop_state = state
        self.stop.set()

    def reject(self, why: str) -> None:
        """A request that was not applied."""
        self.rejected.append(why)

    def take_rejected(self) -> list[str]:
        out, self.rejected = self.rejected, []
        return out

    def poll(self) -> None:
        """Apply a request a signal announced; cheap when there is none."""
        if self.wake:
            self.wake = False
            if self.on_wake is not None:
                self.on_wake()


# --- the trainer's lock: proof that a run is live, and of which process --------------------


class RunLock:
    """Held (flock) by a run's trainer from start to exit; the kernel drops it when the process
    dies, even by kill -9, so a held lock means a live run whatever status.json says. A
    sweep's driver holds one on its folder too (`name` .sweep.lock)."""

    def __init__(self, run_dir: Path, name: str = LOCK):
        self.path = Path(run_dir) / name
        self.fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another live process holds it (OSError if unwritable)."""
        try:
            import fcntl
        except ImportError:  # no flock (Windows): nothing to hold, and no SIGUSR1 to send
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK, 0o644)
        if not _lock_file_ok(fd):
            os.close(fd)
            raise UsageError(f"{self.path}: not a regular file of this run's own; remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def lock_held(run_dir: Path) -> bool:
    """Whether some live process holds the run's lock (tested without taking it for long)."""
    try:
        import fcntl
    except ImportError:  # no flock: fall back to trusting the pid checks alone
        return True
    try:
        fd = os.open(Path(run_dir) / LOCK, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:  # missing, or a symlink (to another run's lock, say)
        return False
    try:
        if not _lock_file_ok(fd):
            return False
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the shared lock we may just have taken
    return False


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _lock_file_ok(fd: int) -> bool:
    """A regular file with one name: a hard link would let a copied run directory pass for
    the live one (a FIFO or a device is no lock at all)."""
    st = os.fstat(fd)
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1


_START_TIME: float | None = None


def process_start_time() -> float:
    """This process's start time as the OS reports it (what a verifier compares against)."""
    global _START_TIME
    if _START_TIME is None:
        import psutil

        _START_TIME = psutil.Process().create_time()
    return _START_TIME


def _looks_like_trainer(cmdline: list[str]) -> bool:
    """`tui-gan train ...` or `python -m tui_gan train ...`."""
    named = any(os.path.basename(a) in ("tui-gan", "tui_gan") for a in cmdline)
    return named and "train" in cmdline


def verified_pid(run_dir: Path, status: dict[str, Any] | None) -> int | None:
    """The PID of this run's trainer, proven, or None: a positive integer PID recorded by the
    trainer, on this host, whose process started when recorded, is a `tui-gan train`, and holds
    this run directory's lock open. Nothing else is ever signalled."""
    if not status or status.get("host") != socket.gethostname():
        return None
    pid, started = status.get("pid"), status.get("started")
    if not is_count(pid) or pid <= 0 or not is_number(started):
        return None
    import psutil

    # The path the trainer opened, as the kernel reports it: a symlink or a hard link in a
    # copied run directory names another path, so it never matches.
    lock = os.path.realpath(Path(run_dir) / LOCK)
    if not lock_held(run_dir):
        return None
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - started) > START_TOLERANCE_S:
            return None  # the recorded trainer is gone and its PID was reused
        if not _looks_like_trainer(proc.cmdline()):
            return None
        if not any(f.path == lock for f in proc.open_files()):
            return None  # a trainer, but of another run
    except (psutil.Error, OSError):
        return None
    return pid


# --- status.json ----------------------------------------------------------------------------

# What status.json may hold, and the type each field must have to be believed.
_STATUS_FIELDS: dict[str, Callable[[Any], bool]] = {
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


def write_status(run_dir: Path, state: RunState, **fields: Any) -> None:
    old = read_status(run_dir) or {}
    old.pop("error", None)  # an earlier failure's reason is history once the run goes on
    _write_json(
        Path(run_dir) / STATUS,
        {
            **old,
            **fields,
            "state": state,
            "pid": os.getpid(),
            "started": process_start_time(),
            "host": socket.gethostname(),
            "updated": time.time(),
        },
    )


def read_status(run_dir: Path) -> dict[str, Any] | None:
    """status.json with only the fields of the right type; None when missing or unreadable
    (not JSON, not an object, no known state)."""
    raw = read_json_object(Path(run_dir) / STATUS)
    if raw is None or not _STATUS_FIELDS["state"](raw.get("state")):
        return None
    return {k: v for k, v in raw.items() if k in _STATUS_FIELDS and _STATUS_FIELDS[k](v)}


_READ = object()  # run_state reads status.json itself unless given what was read


def run_state(run_dir: Path, status: Any = _READ) -> Observed:
    """running, paused, finished, stopped, interrupted or failed; "unknown" without a
    status.json, "unreadable" with a broken one. A live state whose trainer is gone (killed,
    machine rebooted) reads as failed: the lock tells, not the PID, which may be reused."""
    if status is _READ:
        status = read_status(run_dir)
    if status is None:
        return "unreadable" if os.path.lexists(Path(run_dir) / STATUS) else "unknown"
    state = status["state"]
    if state in LIVE_STATES and status.get("host") == socket.gethostname():
        if not lock_held(run_dir):
            # The trainer writes its end state and then lets go of the lock: one that ended
            # between our read and the lock test has a status that now says so.
            again = read_status(run_dir)
            if again is not None and again["state"] not in LIVE_STATES:
                return again["state"]
            return "failed"
    return state


def request(run_dir: Path, **changes: Any) -> bool:
    """Ask a live run to change: pause=True/False, save=True, stop=True. False when the run is
    not live or its process cannot be proven to be this run's trainer (then nothing is sent)."""
    run_dir = Path(run_dir)
    status = read_status(run_dir)
    if not status or status["state"] not in LIVE_STATES:
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
    if status.get("host") != socket.gethostname():
        return f"{run_dir}: the run belongs to host {status.get('host', '?')}; steer it there"
    return (
        f"{run_dir}: the run is not live: status.json names pid {status.get('pid', '?')}, "
        "which is not this run's trainer"
    )


# --- control.json ---------------------------------------------------------------------------


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


class RemoteControl:
    """In the training process: on SIGUSR1, apply control.json to the loop's Controls."""

    def __init__(self, run_dir: Path, controls):
        self.run_dir, self.controls = Path(run_dir), controls
        self.saves_seen = 0

    def install(self) -> None:
        # Start from a clean control file: requests meant for an earlier process are void.
        _write_json(self.run_dir / CONTROL, dict(_CLEAN_CONTROL))
        self.controls.on_wake = self.apply
        if WAKE is not None:
            signal.signal(WAKE, self._on_signal)

    def _on_signal(self, signum, frame) -> None:  # noqa: ARG002
        self.controls.wake = True  # only this: no I/O, no locks (see Flag)

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
