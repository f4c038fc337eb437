"""Read a run's or a sweep's files without following a link inside it, blocking, or slurping."""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tui_gan.engine import events as ev
from tui_gan.errors import naming
from tui_gan.rundir.read import SMALL_FILE
from tui_gan.rundir.write import UnsafePath, folder

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO in a file's place must not hang the open
    | getattr(os, "O_CLOEXEC", 0)
)
CHUNK = 1 << 20
# The longest record kept: a 1-D snapshot is ~5 KB and the schema's longest list (MAX_LIST
# numbers) ~2 MB; a longer line is junk, skipped without being held whole.
MAX_LINE = 8 << 20


def _open(path: Path, within: Path) -> int | None:
    try:
        with folder(path.parent, within, create=False) as dfd:
            try:
                return os.open(path.name, _FLAGS, dir_fd=dfd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a link
                    raise UnsafePath(f"{path}: a symbolic link inside {within}; refused") from None
                if isinstance(err, FileNotFoundError):
                    return None
                raise naming(err, path) from None  # the file the user knows, not its name
    except (FileNotFoundError, NotADirectoryError):  # the file or a folder on the way
        return None


@contextmanager
def open_in(path: Path, within: Path) -> Iterator[IO[bytes] | None]:
    """The regular file `path`, reached from `within` (the folder the user named, trusted
    as named) one name at a time without following a link; None when it is not there.
    A link or something not a regular file (a FIFO, a device, a folder) is UnsafePath."""
    path = Path(path)
    fd = _open(path, within)
    if fd is None:
        yield None
        return
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(f"{path}: not a regular file; refused")
    with os.fdopen(fd, "rb") as fh:
        yield fh


def read_small(path: Path, within: Path, limit: int = SMALL_FILE) -> bytes | None:
    """A small file's bytes (open_in's rules); None when missing; UnsafePath when larger
    than `limit` (it is not the file we wrote)."""
    with open_in(path, within) as fh:
        if fh is None:
            return None
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnsafePath(f"{path}: larger than {limit >> 10} KiB; refused")
    return data


def image(path: Path, within: Path, mode: str) -> Any | None:
    """The image at `path` converted to `mode` ("L", "RGB"), or None when it is missing, a
    link, not a regular file, not an image, or a decompression bomb (PIL's warning of one
    included: a sample grid is never that big)."""
    from PIL import Image

    try:
        with open_in(path, within) as fh, warnings.catch_warnings():
            if fh is None:
                return None
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fh) as img:
                return img.convert(mode)
    except (UnsafePath, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # fmt: skip
        return None


def lines(fh: IO[bytes], max_line: int = MAX_LINE) -> Iterator[bytes]:
    """The file's lines (without the newline) read a chunk at a time: memory is bounded by
    the chunk and `max_line`, whatever the file's size; a longer line is skipped."""
    partial, skipping = b"", False
    while chunk := fh.read(CHUNK):
        parts = chunk.split(b"\n")
        parts[0] = partial + parts[0]
        partial = parts.pop()
        if skipping and parts:  # the rest of a too-long line ends in this chunk
            parts, skipping = parts[1:], False
        yield from (p for p in parts if len(p) <= max_line)
        if len(partial) > max_line:
            partial, skipping = b"", True
    if partial and not skipping:
        yield partial


def events(path: Path, within: Path) -> Iterator[ev.Event]:
    """Every usable record of a metrics.jsonl, streamed (open_in's rules; none when missing)."""
    with open_in(path, within) as fh:
        if fh is None:
            return
        for line in lines(fh):
            event = ev.parse_line(line)
            if event is not None:
                yield event
