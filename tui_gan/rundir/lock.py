"""The trainer's lock (proof that a run is live) and the proof of which process is its trainer."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from tui_gan.errors import UsageError
from tui_gan.rundir.names import LOCK

if TYPE_CHECKING:
    from tui_gan.rundir.status import Status

# A recorded process start time and the one the OS reports now may differ by the clock's
# rounding (Linux derives it from boot time in whole seconds); a reused PID is a new process
# started long after, and must also hold this run's lock and be a `tui-gan train`.
START_TOLERANCE_S = 1.0
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


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


def verified_pid(run_dir: Path, status: Status | None) -> int | None:
    """The PID of this run's trainer, proven, or None: a positive PID recorded by the trainer,
    on this host, whose process started when recorded, is a `tui-gan train`, and holds this
    run directory's lock open. Nothing else is ever signalled."""
    if status is None or status.host != socket.gethostname():
        return None
    pid, started = status.pid, status.started
    if pid is None or pid <= 0 or started is None:
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
