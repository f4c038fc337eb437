"""A run's folder: where each of its files is, its layout version, clean-up, the records file."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tui_gan.errors import UsageError, naming
from tui_gan.rundir import names
from tui_gan.rundir.names import RUN_FORMAT
from tui_gan.rundir.read import is_count, open_regular, read_json_object
from tui_gan.rundir.write import is_tmp, make_dirs, open_append_file, remove, write_file

# Temp files of tui-gan before the one writer: `.NAME.tmpPID` and a grid's `.step-N.tmp.png`.
_LEGACY_TMP = re.compile(r"^\..+\.tmp(\d+|\.png)$")
_UNREAD: Any = object()  # format_problem reads run.json itself unless given what was read


def default_run_name(preset_name: str) -> str:
    return f"{preset_name}-{time.strftime('%Y%m%d-%H%M%S')}"


class RunDir:
    """A run's folder and the paths of its files; the records file kept open for appends."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.samples = self.path / names.SAMPLES
        self.metrics_path = self.path / names.METRICS
        self.preset_path = self.path / names.PRESET
        self.last = self.path / names.LAST
        self.format_path = self.path / names.FORMAT
        self.status_path = self.path / names.STATUS
        self.control_path = self.path / names.CONTROL
        self.train_log = self.path / names.TRAIN_LOG
        self._fh: IO[str] | None = None  # metrics.jsonl, open for appends

    @property
    def classifiers(self) -> Path:
        """Where the class-count classifiers are cached: beside the runs, shared by them."""
        return self.path.parent / names.CLASSIFIERS

    def create(self) -> None:
        """The run folder (where the user named it) and samples/ in it, not through a link."""
        make_dirs(self.samples, within=self.path)

    def ckpt_path(self, step: int) -> Path:
        return self.path / names.ckpt_name(step)

    def sample_path(self, step: int) -> Path:
        return self.samples / names.sample_name(step)

    def relative(self, path: Path) -> str:
        """How a record names a file of this run: relative, so the directory can move."""
        return path.relative_to(self.path).as_posix()

    def checkpoints(self) -> list[Path]:
        return sorted(p for p in self.path.glob(names.CKPT_GLOB) if names.CKPT_RE.match(p.name))

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
                    if p.name.startswith("." + names.CONTROL) and now - p.lstat().st_mtime <= 60:
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

    def keep_records(self, keep: Callable[[bytes], bool]) -> None:
        """Rewrite metrics.jsonl with only the lines `keep` accepts, each kept as written
        (engine.records.truncate_after says which)."""
        self.close()  # an open handle would keep appending to the replaced file
        if not self.metrics_path.exists():
            return
        kept = []
        fh = open_regular(self.metrics_path, follow=False)
        if fh is not None:
            with fh:
                kept = [line.rstrip(b"\n") + b"\n" for line in fh if keep(line)]
        self._replace(self.metrics_path, b"".join(kept))

    def append(self, line: str) -> None:
        """Append one record's line (engine.records.log) to metrics.jsonl."""
        # Line-buffered appends: a reader (attach, runs) always sees whole records.
        try:
            if self._fh is None:
                self._fh = open_append_file(self.metrics_path, within=self.path, text=True)
            self._fh.write(line)
        except OSError as err:  # a full disk: say which file, not a bare errno
            raise naming(err, self.metrics_path) from None

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError:
                pass  # the write that failed has been reported; a second line says nothing new
