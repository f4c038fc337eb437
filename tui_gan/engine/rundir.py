"""The run directory is the record: preset.toml, metrics.jsonl, samples/ and checkpoints."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from tui_gan.engine.records import iter_records
from tui_gan.errors import naming

CKPT_RE = re.compile(r"^ckpt-(\d{7})\.pt$")


def default_run_name(preset_name: str) -> str:
    return f"{preset_name}-{time.strftime('%Y%m%d-%H%M%S')}"


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.samples = self.path / "samples"
        self.metrics_path = self.path / "metrics.jsonl"
        self.preset_path = self.path / "preset.toml"
        self.last = self.path / "last.pt"
        self._fh = None

    def create(self) -> None:
        self.samples.mkdir(parents=True, exist_ok=True)

    def ckpt_path(self, step: int) -> Path:
        return self.path / f"ckpt-{step:07d}.pt"

    def sample_path(self, step: int) -> Path:
        return self.samples / f"step-{step:07d}.png"

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
            self.samples / ".fresh.tmp.png",
            self.samples / ".grid.tmp.png",
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
        tmp = self.preset_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.preset_path)

    def truncate_after(self, step: int) -> None:
        """On resume: drop records past the checkpoint, which the resumed run writes again
        (and any line that is not a record: a line cut short by a crash, or junk)."""
        self.close()  # an open handle would keep appending to the replaced file
        if not self.metrics_path.exists():
            return
        kept = [
            json.dumps(rec) + "\n"
            for rec in iter_records(self.metrics_path)
            if rec["step"] <= step and rec["type"] not in ("finished", "failed")
        ]
        tmp = self.metrics_path.with_suffix(".tmp")
        try:
            tmp.write_text("".join(kept))
            os.replace(tmp, self.metrics_path)
        except OSError as err:
            raise naming(err, self.metrics_path) from None

    def log(self, record: dict[str, Any]) -> None:
        # Line-buffered appends: a reader (attach, runs) always sees whole records.
        try:
            if self._fh is None:
                self._fh = open(self.metrics_path, "a", buffering=1)
            self._fh.write(json.dumps(record) + "\n")
        except OSError as err:  # a full disk: say which file, not a bare errno
            raise naming(err, self.metrics_path) from None

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError:
                pass  # the write that failed has been reported; a second line says nothing new


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The usable records of a metrics.jsonl (see records.py); bad lines are skipped."""
    return list(iter_records(path))
