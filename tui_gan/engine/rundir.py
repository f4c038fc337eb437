"""The run directory is the record: run.json, preset.toml, metrics.jsonl, samples/, checkpoints."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from tui_gan.engine.events import REGISTRY, RUN_FORMAT, Event, Failed, Finished, parse_line, to_line
from tui_gan.engine.safeio import is_count, open_regular, read_json_object
from tui_gan.errors import naming

CKPT_RE = re.compile(r"^ckpt-(\d{7})\.pt$")
_ENDS = (Finished.TYPE, Failed.TYPE)
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
    if not isinstance(obj, dict) or obj.get("type") in REGISTRY or not is_count(obj.get("step")):
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
        self._fh = None

    @property
    def classifiers(self) -> Path:
        """Where the class-count classifiers are cached: beside the runs, shared by them."""
        return self.path.parent / "classifiers"

    def create(self) -> None:
        self.samples.mkdir(parents=True, exist_ok=True)

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
            old.unlink(missing_ok=True)

    def remove_orphans(self) -> list[Path]:
        """Delete the temp files a killed trainer leaves (a save, a status write, a resume's
        rewrite); call only while holding the run's lock, when no other trainer can be writing.
        A dashboard writes control.json's temp too, so only an old one of those goes."""
        found = [
            *self.path.glob(".ckpt-*.pt.tmp*"),
            *self.path.glob(".last.pt.tmp*"),
            *self.path.glob(".status.json.tmp*"),
            self.path / "metrics.tmp",
            self.path / "preset.tmp",
            self.path / "run.tmp",
            *self.samples.glob(".*.tmp.png"),
        ]
        now = time.time()
        for p in self.path.glob(".control.json.tmp*"):
            try:
                if now - p.lstat().st_mtime > 60:
                    found.append(p)
            except OSError:
                continue
        removed = []
        for p in found:
            try:
                if p.is_symlink() or p.is_file():
                    p.unlink()
                    removed.append(p)
            except OSError:
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
        return version if is_count(version) and version > 0 else None

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
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_bytes(data.encode() if isinstance(data, str) else data)
            os.replace(tmp, path)
        except OSError as err:
            raise naming(err, path) from None

    def truncate_after(self, step: int) -> None:
        """Drop the records past `step` (a resume writes them again; -1: all, a fresh start),
        the end records, and lines that are no record (cut short by a crash, or junk). Lines
        are kept as written: a newer tui-gan's fields and record types survive."""
        self.close()  # an open handle would keep appending to the replaced file
        if not self.metrics_path.exists():
            return
        kept = []
        fh = open_regular(self.metrics_path)
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
                self._fh = open(self.metrics_path, "a", buffering=1)
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
