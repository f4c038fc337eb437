"""Start a training run as its own process, so it outlives the dashboard and the SSH session."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tui_gan.engine.events import Failed, Notice, RunStarted, parse_line
from tui_gan.errors import TuiGanError, UsageError, as_user_error, one_line
from tui_gan.request import TrainArgs
from tui_gan.rundir.claim import CLAIM_ENV, claim, unclaim
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.lock import lock_held
from tui_gan.rundir.names import (
    CLAIM,
    CONTROL,
    LAST,
    LOCK,
    PRESET,
    SAMPLES,
    STATUS,
    SWEEP,
    TORCHRUN_LOG,
    TRAIN_LOG,
)
from tui_gan.rundir.read import open_regular, read_bytes
from tui_gan.rundir.warmstart import LATEST
from tui_gan.rundir.write import is_tmp, open_append, remove

if TYPE_CHECKING:
    from tui_gan.config import Preset

TRAIN_NICENESS = 5
LOG_TAIL = 8192


def train_command(args: TrainArgs, via: Sequence[str] = ()) -> list[str]:
    """`python [VIA] -m tui_gan train ARGS` in this Python; `via`: a launcher's own
    arguments before it (torchrun's `-m torch.distributed.run --standalone ...`)."""
    return [sys.executable, *via, "-m", "tui_gan", "train", *args.to_argv()]


def start_trainer(
    args: TrainArgs,
    env: dict[str, str] | None = None,
    log_name: str = TRAIN_LOG,
    **popen: Any,
) -> subprocess.Popen:
    """The one way a `tui-gan train` process starts (the dashboard, the picker, sweeps, a
    Slurm job): its output appended to RUN_DIR/train.log (opened by the safe writer: a planted
    link there is refused). A new run's folder is claimed here, before anything is written
    to it, and the claim handed to the trainer (CLAIM_ENV)."""
    run_dir = args.run_dir
    env = {**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"}
    fresh = not args.resume
    if fresh:
        env[CLAIM_ENV] = claim(run_dir)
    try:
        log = open_append(run_dir / log_name, within=run_dir)
    except (OSError, TuiGanError) as err:
        if fresh:
            unclaim(run_dir)  # nothing started: the folder is as free as before
        raise as_user_error(err) from None
    popen.setdefault("stdin", subprocess.DEVNULL)
    try:
        return subprocess.Popen(
            train_command(args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            **popen,
        )
    except OSError:
        if fresh:
            unclaim(run_dir)
        raise
    finally:
        os.close(log)


def spawn_train(args: TrainArgs) -> subprocess.Popen:
    """`tui-gan train` in a new session: no SIGHUP from this terminal, output to train.log."""
    try:
        proc = start_trainer(args, start_new_session=True)
    except OSError as err:  # the folder cannot be made (an unwritable --out)
        raise as_user_error(err) from None
    _lower_priority(proc.pid)
    return proc


def _lower_priority(pid: int) -> None:
    # A little below the dashboard's priority: on a CPU box training takes every core, and
    # a key press must still reach the screen at once. On a GPU it costs nothing. Set after
    # the start (not in preexec_fn, which is unsafe once the app runs threads).
    try:
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0) + TRAIN_NICENESS)
    except OSError:
        pass


def last_log_line(run_dir: Path) -> str:
    """The last line of train.log: why a run that never started died (escaped: it is shown)."""
    fh = open_regular(run_dir / TRAIN_LOG, follow=False)
    if fh is None:
        return "the training process exited before writing anything"
    with fh:
        size = os.fstat(fh.fileno()).st_size
        fh.seek(max(0, size - LOG_TAIL))  # the end of a log that may be megabytes long
        lines = fh.read(LOG_TAIL).decode(errors="replace").strip().splitlines()
    return one_line(lines[-1]) if lines else "the training process exited before writing anything"


# --- a start that failed ---------------------------------------------------------------------

_RUN = RunDir(Path("."))
# Everything a start that fails before its first step writes in the folder it claimed: the
# launcher's claim and logs, then the recorder's run.json, preset.toml, status.json and
# records, the trainer's lock and control file, and samples/ (empty until the first grid).
FAILED_START_FILES = frozenset(
    {
        CLAIM,
        TRAIN_LOG,
        TORCHRUN_LOG,
        _RUN.metrics_path.name,
        _RUN.preset_path.name,
        _RUN.format_path.name,
        STATUS,
        CONTROL,
        LOCK,
    }
)
# Records such a start leaves: started, its notices, and why it failed. A step, a grid or a
# checkpoint means it trained: then the folder is a run, and nothing of it is removed.
_START_RECORDS = (RunStarted, Notice, Failed)
_MAX_START_RECORDS = 1 << 20  # a few lines; a megabyte of them is no failed start


def discard_failed_start(run_dir: Path) -> str:
    """After a run started here (the picker, the dashboard) ended before its first step: remove
    the files that start wrote, then the folder when that empties it, and say what was done.
    A folder holding anything else (a checkpoint, a grid, a step's record, a file of the
    user's) or a live trainer is left exactly as it is. Show why the start failed first
    (last_log_line): train.log goes with the folder."""
    run_dir = Path(run_dir)
    shown = one_line(run_dir)
    if not os.path.lexists(run_dir):
        return f"{shown} is gone already: nothing to remove"
    if os.path.islink(run_dir) or not run_dir.is_dir():
        return f"kept {shown}: not a folder this start made"
    if lock_held(run_dir):
        return f"kept {shown}: its training process is still running"
    try:
        names = set(os.listdir(run_dir))
        others = sorted(n for n in names if not _failed_start_file(run_dir, n))
    except OSError as err:
        return f"kept {shown}: {one_line(err.strerror or err)}"
    if others:
        listed = ", ".join(one_line(n) for n in others[:3]) + (" ..." if len(others) > 3 else "")
        return f"kept {shown}: it holds more than a failed start wrote ({listed})"
    # The claim last: while any of it is there, no other launcher takes the folder.
    for name in sorted(names - {SAMPLES, CLAIM}) + [CLAIM]:
        try:
            remove(run_dir / name, within=run_dir)
        except (OSError, UsageError) as err:
            return f"kept {shown}: cannot remove {one_line(name)} ({one_line(err)})"
    try:
        if SAMPLES in names:
            os.rmdir(run_dir / SAMPLES)  # only when empty, as checked
        os.rmdir(run_dir)
    except OSError:
        return f"kept {shown}: emptied of the failed start's files, but not empty"
    return f"removed {shown}: the failed start left nothing else in it"


def _failed_start_file(run_dir: Path, name: str) -> bool:
    """Whether `name` in the folder is one a failed start writes, with what it may hold."""
    path = run_dir / name
    st = os.lstat(path)
    if name == SAMPLES:  # the grids' folder, made before the first step: empty
        return stat.S_ISDIR(st.st_mode) and not os.listdir(path)
    if not stat.S_ISREG(st.st_mode):
        return False  # a link or a folder under a file's name: not ours to remove
    if is_tmp(name):  # a write the trainer was killed in the middle of
        return True
    if name not in FAILED_START_FILES:
        return False
    if name != _RUN.metrics_path.name:
        return True
    data = read_bytes(path, _MAX_START_RECORDS, follow=False)
    if data is None:
        return False
    events = [parse_line(line) for line in data.splitlines() if line.strip()]
    return all(isinstance(e, _START_RECORDS) for e in events)


# --- can a preset start here -------------------------------------------------------------------

IMAGE_SCAN_LIMIT = 10_000  # entries looked at for a first image; past it, the folder is trusted


@dataclass(frozen=True)
class Readiness:
    """Whether a preset can start on this machine, known before anything starts: "yes",
    "maybe" (its start downloads data: it fails offline) or "no"; `why` says what the start
    will meet (a note even for "yes": MNIST's embedded fallback)."""

    can: Literal["yes", "maybe", "no"] = "yes"
    why: str = ""


def readiness(preset: Preset, out: Path | None = None) -> Readiness:
    """What stands between `preset` and its first step here: its data set's files (looked
    for where the trainer looks, without importing torch) and, for model.init_g_from, the
    run whose G it starts from (`out`: the folder its run would go in; None: not checked)."""
    d = preset.data
    data = Readiness()
    if d.name in ("mnist", "fashion-mnist"):
        data = _labelled(d.name, _data_root(d.root), d.download)
    elif d.name == "faces":
        data = _faces(d.root)
    if data.can == "no":
        return data
    source = _init_g(preset.model.init_g_from, out)
    return source if source.can == "no" else data


def _cache_dir() -> Path:
    # engine/data.py's cache_dir, whose module imports torch (a test holds the two equal).
    base = os.environ.get("TUI_GAN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tui-gan"
    )
    return Path(base)


def _data_root(root: str) -> Path:
    return Path(root).expanduser() if root else _cache_dir() / "data"


# torchvision's names for a data set's files (engine/data.py's IDX_FILES; a test holds them equal)
_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def _labelled(name: str, root: Path, download: bool) -> Readiness:
    """Where torchvision finds MNIST or FashionMNIST: ROOT/<Class>/raw (or the old processed/)."""
    folder = root / _FOLDERS[name]
    raw = folder / "raw"
    legacy = all((folder / "processed" / f).is_file() for f in ("training.pt", "test.pt"))
    if legacy or all((raw / f).is_file() for f in _IDX_FILES):
        return Readiness()
    if name == "mnist":  # never stuck: the package ships a 5,000-digit subset
        then = "downloads it or trains on" if download else "trains on"
        return Readiness("yes", f"MNIST is not here yet: the start {then} the shipped 5,000 digits")
    if download:
        return Readiness(
            "maybe", f"FashionMNIST is not under {raw}: the start downloads it (needs the internet)"
        )
    return Readiness(
        "no",
        f"FashionMNIST is not under {raw} and data.download = false: copy its four IDX files "
        "there, or --set data.download=true",
    )


_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".gif", ".webp", ".tif", ".tiff"}


def _faces(root: str) -> Readiness:
    if not root:
        return Readiness("no", "faces: no image folder given; add --set data.root=/path/to/faces")
    folder = Path(root).expanduser()
    if not folder.is_dir():
        return Readiness("no", f"faces: image folder {folder} does not exist; fix data.root")
    seen, todo = 0, [folder]
    while todo and seen < IMAGE_SCAN_LIMIT:  # as the trainer's rglob, but stopping early
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if entry.is_dir():
                        todo.append(Path(entry.path))
                    elif Path(entry.name).suffix.lower() in _IMAGE_SUFFIXES:
                        return Readiness()
        except OSError:
            continue
    if seen >= IMAGE_SCAN_LIMIT:
        return Readiness()
    return Readiness("no", f"faces: no images (.png/.jpg/...) under {folder}; fix data.root")


def _init_g(target: str, out: Path | None) -> Readiness:
    """model.init_g_from: the run (or checkpoint) G starts from must be there."""
    if not target:
        return Readiness()
    if not target.startswith(LATEST):
        if os.path.exists(Path(target).expanduser()):
            return Readiness()
        return Readiness("no", f"model.init_g_from {target}: no such run or checkpoint")
    name = target[len(LATEST) :]
    if out is None or _has_run_of(out, name):
        return Readiness()
    return Readiness(
        "no",
        f"model.init_g_from {target}: no {name} run with a checkpoint under {out}; "
        f"start {name} first",
    )


def _has_run_of(out: Path, preset_name: str) -> bool:
    """Whether a run of `preset_name` with a last.pt is under out (or beside a sweep's
    folder), as rundir.warmstart.latest_run looks for one."""
    import tomllib

    roots = [out, out.parent] if (out / SWEEP).is_file() else [out]
    for root in roots:
        try:
            folders = [d for d in root.iterdir() if (d / LAST).is_file()]
        except OSError:
            continue
        for d in folders:
            raw = read_bytes(d / PRESET, follow=False)
            try:
                if raw is not None and tomllib.loads(raw.decode()).get("name") == preset_name:
                    return True
            except (ValueError, UnicodeDecodeError):
                continue
    return False


REPORT_TIMEOUT_S = 300


def write_report(run_dir: Path, cancelled: Callable[[], bool] = lambda: False) -> tuple[bool, str]:
    """`tui-gan report RUN_DIR` in a child process (matplotlib stays out of the dashboard,
    and a crash there cannot take the screen down): whether it worked, and its last line.
    Polled, so a dashboard that quits meanwhile kills it instead of waiting for it."""
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_gan", "report", str(run_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    except OSError as err:
        return False, f"cannot start tui-gan report: {err}"
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    while True:
        try:
            out, _ = proc.communicate(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            if cancelled() or time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                why = "cancelled" if cancelled() else f"stopped after {REPORT_TIMEOUT_S}s"
                return False, f"the report was {why}"
    lines = out.decode(errors="replace").strip().splitlines()
    return proc.returncode == 0, lines[-1] if lines else f"exit code {proc.returncode}"
