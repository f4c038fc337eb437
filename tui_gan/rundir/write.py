"""The one way to write in a run folder: no link followed, nothing outside it, no half file."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tui_gan.errors import UsageError, naming

# Every whole-file write goes through a temp file of this shape in the target's own folder,
# so a killed writer's leftovers are recognisable (RunDir.remove_orphans) and never a target.
TMP_MARK = ".tmp-"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
Payload = bytes | str | Callable[[IO[bytes]], None]


class UnsafePath(UsageError):
    """A write that would follow a link, leave its folder, or land on something not a file."""


def tmp_name(name: str) -> str:
    """The temp file a write of `name` goes through: hidden, unique, marked."""
    return f".{name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"


def is_tmp(name: str) -> bool:
    return name.startswith(".") and TMP_MARK in name


def _parts(root: Path, path: Path) -> tuple[str, ...]:
    """`path` as names below `root`; refused when it is not (lexically) inside it."""
    r, p = os.path.normpath(os.path.abspath(root)), os.path.normpath(os.path.abspath(path))
    if p == r:
        return ()
    if not p.startswith(r.rstrip(os.sep) + os.sep):
        raise UnsafePath(f"{path}: outside {root}; refused")
    return tuple(n for n in p[len(r.rstrip(os.sep)) + 1 :].split(os.sep) if n)


def _open_root(root: Path, create: bool) -> int:
    """The trusted top (the folder the user named, or the run directory): links above it are
    the user's own (a `checkpoints -> /scratch` link), so it is opened as named."""
    if create:
        try:
            os.makedirs(root, exist_ok=True)
        except FileExistsError:  # a file where a folder (or one above it) should be
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(root)) from None
    return os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)


def _descend(fd: int, name: str, shown: Path, create: bool) -> int:
    """The folder `name` inside the folder `fd`, never through a symlink."""
    if create:
        try:
            os.mkdir(name, 0o755, dir_fd=fd)
        except FileExistsError:
            pass
    try:
        return os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
    except OSError as err:
        if os.path.islink(shown):
            raise UnsafePath(f"{shown}: a symbolic link inside the run folder; refused") from None
        raise naming(err, shown) from None


@contextmanager
def folder(path: Path, within: Path | None = None, create: bool = True) -> Iterator[int]:
    """A descriptor of the folder `path`, reached from `within` (default: `path` itself) one
    name at a time without following a link: a link swapped in after a check still fails."""
    path = Path(path)
    top = Path(within) if within is not None else path
    names = _parts(top, path)
    fd = _open_root(top, create)
    try:
        here = top
        for name in names:
            here = here / name
            nxt = _descend(fd, name, here, create)
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def make_dirs(path: Path, within: Path | None = None) -> Path:
    """Create `path` and the folders up to it below `within`, refusing links on the way."""
    with folder(path, within):
        pass
    return Path(path)


def _check_target(dfd: int, name: str, path: Path) -> None:
    """A whole-file write replaces a file or a link (rename never follows one); a folder, a
    FIFO or a device in the target's place is refused rather than moved over."""
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise UnsafePath(f"{path}: not a regular file; refused")


def write_file(
    path: Path, data: Payload, within: Path | None = None, durable: bool = False
) -> Path:
    """Write the whole file `path` (bytes, text, or a function given the open file) to a temp
    file beside it and rename it into place: a reader sees the old file or the new, never half
    of one; a symlink at `path` is replaced, not followed; the temp file goes on any failure.
    `durable`: fsync the file and its folder first (checkpoints: survive a power cut)."""
    path = Path(path)
    name = path.name
    with folder(path.parent, within if within is not None else path.parent) as dfd:
        _check_target(dfd, name, path)
        tmp = tmp_name(name)
        try:
            with _open_tmp(dfd, tmp) as fh:
                if callable(data):
                    data(fh)
                else:
                    fh.write(data.encode() if isinstance(data, str) else data)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException as err:
            _unlink_quietly(dfd, tmp)
            if isinstance(err, OSError):
                raise naming(err, path) from None  # the user's file, not its temp
            raise
        if durable:
            _fsync(dfd)
    return path


def _open_tmp(dfd: int, name: str) -> IO[bytes]:
    """A new temp file in the folder `dfd`: created here (O_EXCL), never an existing one."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    return os.fdopen(os.open(name, flags, 0o644, dir_fd=dfd), "wb")


def link_file(src: Path, dst: Path, within: Path | None = None) -> Path:
    """Make `dst` the same bytes as `src` (same folder) atomically: a hard link where the file
    system allows, else a copy; neither name is followed if it is a link."""
    src, dst = Path(src), Path(dst)
    with folder(dst.parent, within if within is not None else dst.parent) as dfd:
        _check_target(dfd, dst.name, dst)
        tmp = tmp_name(dst.name)
        try:
            try:
                os.link(src.name, tmp, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
            except OSError:
                with _open_regular_at(dfd, src.name, src) as fin:
                    write_file(dst.parent / tmp, fin.read(), within=dst.parent)
            os.replace(tmp, dst.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException as err:
            _unlink_quietly(dfd, tmp)
            if isinstance(err, OSError):
                raise naming(err, dst) from None
            raise
        _fsync(dfd)
    return dst


@contextmanager
def _open_regular_at(dfd: int, name: str, shown: Path) -> Iterator[IO[bytes]]:
    fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=dfd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePath(f"{shown}: not a regular file; refused")
    with os.fdopen(fd, "rb") as fh:
        yield fh


def open_append(path: Path, within: Path | None = None) -> int:
    """A descriptor appending to the log `path` (metrics.jsonl, train.log): opened with
    O_NOFOLLOW | O_APPEND in a folder reached without links, and refused unless a regular
    file (a FIFO would block the writer). A log with other names (hard links: a run copied
    with `cp -al` or `rsync --link-dest`) first gets a copy of its own, so the appends never
    reach the other names' file."""
    path = Path(path)
    within = within if within is not None else path.parent
    fd = _open_log(path, within)
    st = os.fstat(fd)
    if stat.S_ISREG(st.st_mode) and st.st_nlink != 1:
        os.close(fd)
        with folder(path.parent, within) as dfd, _open_regular_at(dfd, path.name, path) as fin:
            write_file(path, lambda fh: shutil.copyfileobj(fin, fh), within=within)
        fd = _open_log(path, within)
        st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        raise UnsafePath(f"{path}: not a regular file of its own; refused")
    if _NONBLOCK:  # only there to keep a planted FIFO from hanging the open
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
    return fd


def _open_log(path: Path, within: Path) -> int:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC
    with folder(path.parent, within) as dfd:
        try:
            return os.open(path.name, flags, 0o644, dir_fd=dfd)
        except OSError as err:
            if os.path.islink(path):
                raise UnsafePath(f"{path}: a symbolic link; refused") from None
            if err.errno == errno.ENXIO:  # a FIFO nobody reads (O_NONBLOCK says so at once)
                raise UnsafePath(f"{path}: not a regular file; refused") from None
            raise naming(err, path) from None


def open_append_file(path: Path, within: Path | None = None, text: bool = False) -> IO:
    """open_append as a file object: binary, or line-buffered text (whole records on disk)."""
    fd = open_append(path, within)
    if text:
        return os.fdopen(fd, "a", buffering=1, encoding="utf-8")
    return os.fdopen(fd, "ab")


def remove(path: Path, within: Path | None = None) -> bool:
    """Delete the file `path` (a link itself, never its target); False when it was not there."""
    path = Path(path)
    try:
        with folder(path.parent, within if within is not None else path.parent, create=False) as d:
            st = os.stat(path.name, dir_fd=d, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                raise UnsafePath(f"{path}: a folder, expected a file; refused")
            os.unlink(path.name, dir_fd=d)
    except FileNotFoundError:
        return False
    return True


def rename(src: Path, dst: Path, within: Path) -> None:
    """Move `src` to `dst`, both below `within`, as entries (a link moves as a link)."""
    src, dst = Path(src), Path(dst)
    with folder(src.parent, within, create=False) as s, folder(dst.parent, within) as d:
        try:
            os.rename(src.name, dst.name, src_dir_fd=s, dst_dir_fd=d)
        except OSError as err:
            raise naming(err, src) from None


def _unlink_quietly(dfd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dfd)
    except OSError:
        pass  # already gone, or a read-only folder where nothing was written anyway


def _fsync(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is still atomic
