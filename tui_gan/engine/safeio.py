"""Read files from outside (run files, presets) without blocking, overflowing or trusting."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import IO, Any

SMALL_FILE = 1 << 20  # status.json, control.json: a few hundred bytes when we wrote them


def open_regular(path: Path, follow: bool = True) -> IO[bytes] | None:
    """The file opened for reading, or None when missing or not a regular file.

    O_NONBLOCK so a FIFO planted as metrics.jsonl cannot hang a reader; the fstat then
    refuses it (and devices such as /dev/zero, which would never end). `follow=False`: a
    symlink at the path itself counts as missing (a run's own files are never links).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")
    except OSError:
        os.close(fd)
        return None


def read_bytes(path: Path, limit: int = SMALL_FILE) -> bytes | None:
    """Up to `limit` bytes of a regular file; None when missing, not regular or larger."""
    fh = open_regular(path)
    if fh is None:
        return None
    with fh:
        try:
            data = fh.read(limit + 1)
        except OSError:
            return None
    return None if len(data) > limit else data


def read_json_object(path: Path, limit: int = SMALL_FILE) -> dict[str, Any] | None:
    """A small JSON file that must hold one object; None when it does not (missing, torn,
    foreign, too big, nested past Python's recursion limit)."""
    data = read_bytes(path, limit)
    if data is None:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, or [[[[... thousands deep
        return None
    return obj if isinstance(obj, dict) else None


MAX_MAGNITUDE = 1e18  # past this a JSON number is junk, and int-to-float would overflow


def is_number(v: Any) -> bool:
    """A finite int or float of sane size, not a bool (JSON's true is not a step count)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    return -MAX_MAGNITUDE <= v <= MAX_MAGNITUDE  # False for NaN and the infinities too


def is_count(v: Any) -> bool:
    """A non-negative int of sane size (a step, a pid, a sample count)."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_MAGNITUDE
