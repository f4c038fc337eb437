"""The run directory is the record: run.json, preset.toml, metrics.jsonl, samples/, checkpoints."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import IO, Any

from tui_gan.engine.events import REGISTRY, RUN_FORMAT, Event, Failed, Finished, parse_line, to_line
from tui_gan.engine.safeio import is_count, is_step, open_regular, read_json_object
from tui_gan.errors import CheckpointError, UsageError, naming
from tui_gan.safewrite import is_tmp, make_dirs, open_append_file, remove, write_file

TRAIN_LOG = "train.log"  # a launcher sends the trainer's output here (dash, sweeps, SIGHUP)
CKPT_RE = re.compile(r"^ckpt-(\d{7})\.pt$")
_ENDS = (Finished.TYPE, Failed.TYPE)
# Temp files of tui-gan before the one writer: `.NAME.tmpPID` and a grid's `.step-N.tmp.png`.
_LEGACY_TMP = re.compile(r"^\..+\.tmp(\d+|\.png)$")
_UNREAD = object()  # format_problem reads run.json itself unless given what was read


def _record_step(line: bytes) -> tuple[str, int] | None:
    """(type, step) of a line worth keeping: a valid record, or one of a type this tui-gan
    does not know (a newer one's) that has a step; None for junk."""
    event = parse_line(line)
    if event is not None:
        return event.TYPE, event.step
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or obj.get("type") in REGISTRY or not is_step(obj.get("step")):
        return None  # junk, or a known type that fails its checks
    return str(obj.get("type")), obj["step"]


def default_run_name(preset_name: str) -> str:
    return f"{preset_name}-{time.strftime('%Y%m%d-%H%M%S')}"


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.samples = self.path / "samples"
        self.metrics_path = self.path / "metrics.jsonl"
        self.preset_path = self.path / "preset.toml"
        self.last = self.path / "last.pt"
        self.format_path = self.path / "run.json"
        self._fh: IO[str] | None = None  # metrics.jsonl, open for appends

    @property
    def classifiers(self) -> Path:
        """Where the class-count classifiers are cached: beside the runs, shared by them."""
        return self.path.parent / "classifiers"

    def create(self) -> None:
        """The run folder (where the user named it) and samples/ in it, not through a link."""
        make_dirs(self.samples, within=self.path)

    def ckpt_path(self, step: int) -> Path:
        return self.path / f"ckpt-{step:07d}.pt"

    def sample_path(self, step: int) -> Path:
        return self.samples / f"step-{step:07d}.png"

    def relative(self, path: Path) -> str:
        """How a record names a file of this run: relative, so the directory can move."""
        return path.relative_to(self.path).as_posix()

    def checkpoints(self) -> list[Path]:
        return sorted(p for p in self.path.glob("ckpt-*.pt") if CKPT_RE.match(p.name))

    def prune(self, keep: int) -> None:
        for old in self.checkpoints()[:-keep]:
            remove(old, within=self.path)

    def remove_orphans(self) -> list[Path]:
        """Delete the temp files a killed trainer leaves (a save, a status write, a resume's
        rewrite); call only while holding the run's lock, when no other trainer can be writing.
        A dashboard writes control.json's temp too, so only an old one of those goes."""
        now = time.time()
        removed = []
        for folder in (self.path, self.samples):
            for p in folder.glob(".*"):
                if not (is_tmp(p.name) or _LEGACY_TMP.match(p.name)):
                    continue
                try:
                    if p.name.startswith(".control.json") and now - p.lstat().st_mtime <= 60:
                        continue  # a dashboard's request being written now
                    if remove(p, within=self.path):
                        removed.append(p)
                except (OSError, UsageError):  # a folder named like a temp file: not ours
                    continue
        for name in ("metrics.tmp", "preset.tmp", "run.tmp"):  # tui-gan 0.13's temp names
            try:
                if remove(self.path / name, within=self.path):
                    removed.append(self.path / name)
            except (OSError, UsageError):
                continue
        return removed

    def write_preset(self, text: str) -> None:
        self._replace(self.preset_path, text)

    def write_format(self) -> None:
        self._replace(self.format_path, json.dumps({"format": RUN_FORMAT}) + "\n")

    def read_format(self) -> int | None:
        """The layout version the run was written in: 1 before run.json existed; None when
        run.json is there but says nothing we can read."""
        if not os.path.lexists(self.format_path):
            return 1
        raw = read_json_object(self.format_path)
        version = raw.get("format") if raw else None
        return version if isinstance(version, int) and is_count(version) and version > 0 else None

    def format_problem(self, version: Any = _UNREAD) -> str | None:
        """One line on what this tui-gan cannot show of the run, or None when it reads it all
        (given the version read_format returned, run.json is not read again)."""
        if version is _UNREAD:
            version = self.read_format()
        if version is None:
            return f"{self.format_path}: unreadable; the records are read as format {RUN_FORMAT}"
        if version > RUN_FORMAT:
            return (
                f"{self.path} was written by a newer tui-gan (run format {version}, this one "
                f"reads up to {RUN_FORMAT}): records of kinds it does not know are not shown"
            )
        return None

    def _replace(self, path: Path, data: str | bytes) -> None:
        write_file(path, data, within=self.path)

    def truncate_after(self, step: int) -> None:
        """Drop the records past `step` (a resume writes them again; -1: all, a fresh start),
        the end records, and lines that are no record (cut short by a crash, or junk). Lines
        are kept as written: a newer tui-gan's fields and record types survive."""
        self.close()  # an open handle would keep appending to the replaced file
        if not self.metrics_path.exists():
            return
        kept = []
        fh = open_regular(self.metrics_path, follow=False)
        if fh is not None:
            with fh:
                for line in fh:
                    rec = _record_step(line)
                    if rec is not None and rec[1] <= step and rec[0] not in _ENDS:
                        kept.append(line.rstrip(b"\n") + b"\n")
        self._replace(self.metrics_path, b"".join(kept))

    def log(self, event: Event) -> None:
        # Line-buffered appends: a reader (attach, runs) always sees whole records.
        try:
            if self._fh is None:
                self._fh = open_append_file(self.metrics_path, within=self.path, text=True)
            self._fh.write(to_line(event))
        except OSError as err:  # a full disk: say which file, not a bare errno
            raise naming(err, self.metrics_path) from None

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError:
                pass  # the write that failed has been reported; a second line says nothing new


# --- warm starts: another run's checkpoint, found beside this one ----------------------------

LATEST = "latest:"  # model.init_g_from = "latest:PRESET": that preset's newest run beside this


def latest_run(root: Path, preset_name: str, exclude: Path | None = None) -> Path:
    """last.pt of the newest run of a preset under root (the folder this run is in)."""
    import tomllib

    found: list[tuple[float, Path]] = []
    # A sweep's runs live in OUT/SWEEP: the VAE a sweep warm-starts from sits beside it.
    roots = [root, root.parent] if (root / "sweep.json").is_file() else [root]
    for d in (d for r in roots if r.is_dir() for d in r.iterdir()):
        last = d / "last.pt"
        if d == exclude or not last.is_file():
            continue
        try:
            name = tomllib.loads((d / "preset.toml").read_text()).get("name")
        except (OSError, ValueError):
            continue
        if name == preset_name:
            found.append((last.stat().st_mtime, last))
    if not found:
        raise CheckpointError(
            f"model.init_g_from {LATEST}{preset_name}: no {preset_name} run with a checkpoint "
            f"under {root}; train one first: tui-gan train --preset {preset_name} --out {root}"
        )
    return max(found)[1]


def warm_start_checkpoint(target: str, run_dir: Path) -> Path:
    """The checkpoint model.init_g_from names: a file, a run folder, or latest:PRESET (the
    newest run of that preset beside run_dir, run_dir itself left out)."""
    from tui_gan.engine.checkpoint import resolve_checkpoint

    if target.startswith(LATEST):
        return latest_run(run_dir.parent, target[len(LATEST) :], exclude=run_dir)
    return resolve_checkpoint(target)


# --- claiming a folder for a new run ----------------------------------------------------------

CLAIM = ".claim"  # written by whoever took the folder for a new run, with its token
CLAIM_ENV = "TUI_GAN_CLAIM"  # how a launcher hands its claim to the trainer it starts
TORCHRUN_LOG = "torchrun.log"
# What a launcher writes before its trainer starts: the only files a claimed folder may hold.
_LAUNCHER_FILES = frozenset({CLAIM, TRAIN_LOG, TORCHRUN_LOG})


def _taken(run_dir: Path, names: list[str]) -> UsageError:
    if "last.pt" in names:
        return UsageError(
            f"{run_dir} already holds a run; continue it with --resume {run_dir}, "
            "or pick another --name"
        )
    names = sorted(names, key=lambda n: (n.startswith("."), n))  # what the user made first
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return UsageError(
        f"{run_dir} is not empty ({shown}): a new run never writes over it; "
        "pick another --name (or --out), or empty the folder yourself"
    )


def claim(run_dir: Path) -> str:
    """Take a folder for a new run: one that does not exist yet (made now) or is empty; any
    other is refused in one line, so no one's files are ever cut or replaced. Returns the
    token that a launcher hands on to the trainer it starts (CLAIM_ENV)."""
    import secrets

    run_dir = Path(run_dir)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        run_dir.mkdir()
    except FileExistsError:
        if not run_dir.is_dir():
            raise UsageError(f"{run_dir} exists and is not a folder; pick another --name") from None
        names = os.listdir(run_dir)
        if names:
            raise _taken(run_dir, names) from None
    token = secrets.token_hex(16)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(run_dir / CLAIM, flags, 0o644)
    except FileExistsError:  # another launcher took the same empty folder a moment ago
        raise _taken(run_dir, os.listdir(run_dir)) from None
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    return token


def _claimed_by(run_dir: Path, token: str) -> bool:
    """Whether the folder holds `token`'s claim and nothing but what launchers write."""
    fh = open_regular(run_dir / CLAIM, follow=False)
    if fh is None:
        return False
    with fh:
        mine = fh.read(100) == token.encode()
    return mine and not set(os.listdir(run_dir)) - _LAUNCHER_FILES


def unclaim(run_dir: Path) -> None:
    """Give a claimed folder back when nothing was started in it: the claim and the logs a
    launcher wrote go, and the folder too when that leaves it empty (as it was found)."""
    run_dir = Path(run_dir)
    for name in _LAUNCHER_FILES:
        try:
            remove(run_dir / name, within=run_dir)
        except (OSError, UsageError):
            pass
    try:
        run_dir.rmdir()  # only if empty: it may have been an empty folder of the user's
    except OSError:
        pass


def check_claim(run_dir: Path, token: str | None) -> None:
    """In a trainer starting a new run: the folder must be claimed with `token` by the
    launcher that started it and hold nothing but what launchers write; without a token the
    trainer claims it itself (a plain `tui-gan train`)."""
    run_dir = Path(run_dir)
    if not token:
        claim(run_dir)
        return
    if not _claimed_by(run_dir, token):
        names = os.listdir(run_dir) if run_dir.is_dir() else []
        if CLAIM not in names:  # moved aside, emptied or never made: not the folder it claimed
            raise UsageError(
                f"{run_dir}: the launcher's claim on it is gone (moved or emptied); start the "
                "run again"
            )
        raise _taken(run_dir, [n for n in names if n not in _LAUNCHER_FILES] or names)


def is_free(run_dir: Path, token: str | None = None) -> UsageError | None:
    """Why a new run may not start in `run_dir`, or None: it does not exist, is empty, or is
    claimed with `token` (a launcher's, for the trainer it started)."""
    run_dir = Path(run_dir)
    if not os.path.lexists(run_dir):
        return None
    if not run_dir.is_dir():
        return UsageError(f"{run_dir} exists and is not a folder; pick another --name")
    names = os.listdir(run_dir)
    if not names or (token and _claimed_by(run_dir, token)):
        return None
    return _taken(run_dir, names)
