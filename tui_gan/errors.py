"""Errors that reach the user as one line and a defined exit code."""

from __future__ import annotations

MAX_MESSAGE = 2000
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports it (128 + SIGINT)


def one_line(text: object) -> str:
    """The one escaping function: text or a path that came from outside (a folder's name, a
    --set value, a record) cannot break the line or act on the terminal. Control characters
    (ESC, BEL, a newline) are shown escaped, and a huge value is cut; escaping twice changes
    nothing, so a line may pass through here again on its way out."""
    out = "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in str(text)
    )
    return out if len(out) <= MAX_MESSAGE else out[: MAX_MESSAGE - 3] + "..."


class TuiGanError(Exception):
    """An expected failure: the message is shown as one line, no traceback."""

    exit_code = 1

    def __init__(self, message: str = ""):
        super().__init__(one_line(str(message)))


class UsageError(TuiGanError):
    """Bad input from the user: a preset, an option, a path (exit code 2)."""

    exit_code = 2


class PresetError(UsageError):
    """A preset file or --set override that does not validate."""


class DataError(UsageError):
    """A data set that cannot be found or read."""


class CheckpointError(UsageError):
    """A checkpoint or run directory that cannot be loaded."""


# What an OSError means for the user, by errno: the words, and whether it is theirs to fix.
_CAUSES = {
    "ENOSPC": ("no space left on the device", True),
    "EDQUOT": ("disk quota exceeded", True),
    "EROFS": ("read-only file system", True),
    "EACCES": ("permission denied", True),
    "EPERM": ("operation not permitted", True),
    "ENOTDIR": ("not a folder (part of the path is a file)", True),
    "EISDIR": ("is a folder, expected a file", True),
    "ENOENT": ("no such file or folder", True),
    "EEXIST": ("already exists", True),
    "ENAMETOOLONG": ("name too long", True),
    "ELOOP": ("too many symbolic links", True),
    "EMFILE": ("too many open files", False),
    "EIO": ("input/output error (the disk may be failing)", False),
}


def naming(err: OSError, path: object) -> OSError:
    """The same error, naming the file the user knows (not a temp file, or none at all)."""
    return err if err.errno is None else OSError(err.errno, err.strerror, str(path))


def from_os_error(err: OSError, path: object = None) -> TuiGanError:
    """An OSError as one line naming the path and the cause; exit 2 when the user can fix it
    (space, permissions, a wrong path), 1 otherwise."""
    import errno as errno_mod

    name = errno_mod.errorcode.get(err.errno or 0, "")
    cause, users = _CAUSES.get(name, ((err.strerror or str(err)).lower(), False))
    where = path if path is not None else (err.filename or "")
    text = f"{where}: {cause}" if where else cause
    return UsageError(text) if users else TuiGanError(text)


def as_user_error(err: OSError | TuiGanError) -> TuiGanError:
    """An expected failure as the one line the user reads (an OSError named by its path)."""
    return from_os_error(err) if isinstance(err, OSError) else err
