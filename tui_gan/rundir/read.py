"""Read files from outside (run files, presets) without blocking, overflowing or trusting."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import IO, Any

SMALL_FILE = 1 << 20  # status.json, control.json: a few hundred bytes when we wrote them


class NotRegularFile(OSError):
    """A folder, FIFO, socket or device where a regular file was expected."""


def open_file(path: Path, follow: bool = True) -> IO[bytes]:
    """The regular file opened for reading, or the OSError that says why not
    (NotRegularFile for a FIFO, a device or a folder).

    O_NONBLOCK so a FIFO planted as metrics.jsonl cannot hang a reader; the fstat then
    refuses it (and devices such as /dev/zero, which would never end). `follow=False`: a
    symlink at the path itself is refused (a run's own files are never links).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_regular(path: Path, follow: bool = True) -> IO[bytes] | None:
    """The file opened for reading (see open_file), or None when missing, not a regular file
    or not readable."""
    try:
        return open_file(path, follow)
    except OSError:
        return None


def read_bytes(path: Path, limit: int = SMALL_FILE, follow: bool = True) -> bytes | None:
    """Up to `limit` bytes of a regular file; None when missing, not regular or larger.
    `follow=False`: a link at the path counts as missing (a run's own files)."""
    fh = open_regular(path, follow)
    if fh is None:
        return None
    with fh:
        try:
            data = fh.read(limit + 1)
        except OSError:
            return None
    return None if len(data) > limit else data


def read_json_object(path: Path, limit: int = SMALL_FILE) -> dict[str, Any] | None:
    """A small JSON file of a run or sweep that must hold one object; None when it does not
    (missing, a link, torn, foreign, too big, nested past Python's recursion limit)."""
    data = read_bytes(path, limit, follow=False)
    if data is None:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, or [[[[... thousands deep
        return None
    return obj if isinstance(obj, dict) else None


def open_grid(path: Path, mode: str) -> Any | None:
    """The image at path converted to mode ("L", "RGB"), or None when it is missing, not a
    regular file (a FIFO would block), not an image, or a decompression bomb."""
    from PIL import Image  # only the readers of grids pay for PIL

    fh = open_regular(path, follow=False)  # a run's grid: never through a link
    if fh is None:
        return None
    with fh:
        try:
            with Image.open(fh) as img:
                return img.convert(mode)  # loaded now: the file is replaced later
        except (OSError, ValueError, Image.DecompressionBombError):
            return None


MAX_MAGNITUDE = 1e18  # past this a JSON number is junk, and int-to-float would overflow


def is_number(v: Any) -> bool:
    """A finite int or float of sane size, not a bool (JSON's true is not a step count)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    return -MAX_MAGNITUDE <= v <= MAX_MAGNITUDE  # False for NaN and the infinities too


def is_count(v: Any) -> bool:
    """A non-negative int of sane size (a pid, a sample count)."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_MAGNITUDE


# The one bound on a step, for a preset's train.steps, a run's total, a checkpoint, a record
# and status.json alike: a thousand steps a second for thirty years. Past it a step is junk,
# and a percentage or an ETA made from it is nonsense.
MAX_STEP = 10**12
# Seconds of training a checkpoint or a record may say it took: over three centuries.
MAX_ELAPSED = 1e10


def is_step(v: Any) -> bool:
    """A step count a run can reach: an int in [0, MAX_STEP], not a bool."""
    return is_count(v) and v <= MAX_STEP


def is_elapsed(v: Any) -> bool:
    """Seconds of training: a finite number in [0, MAX_ELAPSED], not a bool."""
    return is_number(v) and 0 <= v <= MAX_ELAPSED
