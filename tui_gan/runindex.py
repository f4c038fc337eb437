"""This user's runs, wherever they were started: a small index in $XDG_STATE_HOME/tui-gan.

Two files and a lock, all in the user's own state folder (never in a run folder):

- `runs.json`, the index: the last `MAX_RUNS` run folders started, oldest first, each with the
  time it was last started. Written whole (a temp file renamed into place), so a reader sees
  the old index or the new one, never half of one; readers take no lock.
- `runs.log`, the journal: one JSON line appended per start. When the index is lost or cannot
  be read, it is rebuilt from the journal (a torn or junk line is skipped); when the journal
  grows past `MAX_JOURNAL_BYTES`, or is lost, it is rewritten from the index.
- `index.lock`: writers (a start, a rebuild) hold it (flock) while they read and write both.

Folders that no longer exist are dropped whenever the index is written, and never listed.
Recording is best effort: a home that cannot be written never stops a run.
"""

from __future__ import annotations

import json
import math
import os
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tui_gan.errors import UsageError
from tui_gan.rundir.write import open_append_file, write_file

STATE_ENV = "XDG_STATE_HOME"
INDEX = "runs.json"
JOURNAL = "runs.log"
LOCK = "index.lock"
MAX_RUNS = 500  # the runs `runs` and `attach` look through; older ones are forgotten
MAX_JOURNAL_BYTES = 512 * 1024  # about 2,000 starts; then it is rewritten from the index
MAX_PATH = 4096  # PATH_MAX on Linux: anything longer is not a folder we recorded
LOCK_WAIT_S = 5.0  # writers hold the lock for milliseconds; past this, something is stuck
_VERSION = 1
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Entry:
    """A run folder (absolute) and when a `tui-gan train` last started in it."""

    path: Path
    started: float

    def to_record(self) -> dict[str, object]:
        return {"path": str(self.path), "started": self.started}

    @classmethod
    def from_record(cls, obj: object) -> Entry | None:
        """The entry a decoded record holds, or None for anything else (checked, not trusted:
        the file is the user's, but a crash or an editor may have left anything in it)."""
        if not isinstance(obj, dict):
            return None
        path, started = obj.get("path"), obj.get("started")
        if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH or "\0" in path:
            return None
        if not os.path.isabs(path):
            return None
        if isinstance(started, bool) or not isinstance(started, int | float):
            return None
        if not math.isfinite(started):
            return None
        return cls(Path(path), float(started))


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/tui-gan; the spec's default (~/.local/state) when it is unset, empty or
    relative (the XDG spec says to ignore a relative one)."""
    env = os.environ if env is None else env
    base = env.get(STATE_ENV, "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "tui-gan"


def record(run_dir: Path, now: float | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Note that a run started in `run_dir` (made absolute): it becomes the newest entry.
    False when it could not be recorded (no writable home, the lock stuck); never raises."""
    folder = state_dir(env)
    entry = Entry(Path(os.path.abspath(run_dir)), time.time() if now is None else now)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with _locked(folder) as held:
            if not held:
                return False
            entries = _read_index(folder)
            if entries is None:
                entries = _read_journal(folder)
            kept = _bounded([*entries, entry])
            # The journal takes the line first: a crash before the index is written loses
            # nothing. A lost, refused or grown journal is written whole after the index.
            size = _size(folder / JOURNAL)
            whole = size is None or size > MAX_JOURNAL_BYTES or not _append_journal(folder, entry)
            write_file(folder / INDEX, _index_text(kept), within=folder)
            if whole:
                _rewrite_journal(folder, kept)
    except (OSError, UsageError):  # UsageError: a link or a folder where a file should be
        return False
    return True


def entries(env: Mapping[str, str] | None = None) -> list[Entry]:
    """The recorded run folders that still exist, oldest start first. A lost or unreadable
    index is rebuilt from the journal (and written back, when the lock can be had)."""
    folder = state_dir(env)
    found = _read_index(folder)
    if found is None:
        found = _rebuild(folder)
    return [e for e in found if _exists(e.path)]


def _rebuild(folder: Path) -> list[Entry]:
    """The index from the journal; written back so the next reader finds it whole."""
    from_journal = _read_journal(folder)
    if not from_journal:
        return []  # nothing recorded: nothing to write (a plain `runs` creates no files)
    kept = _bounded(from_journal)
    try:
        with _locked(folder) as held:
            if held and _read_index(folder) is None:  # not rebuilt meanwhile by another
                write_file(folder / INDEX, _index_text(kept), within=folder)
    except (OSError, UsageError):
        pass  # a read-only home: the rebuilt list is still good for this reader
    return kept


def _bounded(found: Iterable[Entry]) -> list[Entry]:
    """One entry per folder (its latest start), in order of start, folders that exist, the
    newest MAX_RUNS."""
    latest: dict[Path, Entry] = {}
    for e in found:
        old = latest.pop(e.path, None)
        latest[e.path] = e if old is None or e.started >= old.started else old
    ordered = sorted(latest.values(), key=lambda e: e.started)
    return [e for e in ordered if _exists(e.path)][-MAX_RUNS:]


def _exists(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, a folder we may not look into
        return False


def _index_text(found: list[Entry]) -> str:
    return json.dumps({"version": _VERSION, "runs": [e.to_record() for e in found]}, indent=0)


def _read_index(folder: Path) -> list[Entry] | None:
    """The index's entries; None when it is missing or is not an index (then it is rebuilt).
    A single bad entry is skipped, not a reason to distrust the rest."""
    data = _read_small(folder / INDEX)
    if data is None:
        return None
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or obj.get("version") != _VERSION:
        return None
    runs = obj.get("runs")
    if not isinstance(runs, list):
        return None
    return [e for e in map(Entry.from_record, runs) if e is not None]


def _read_journal(folder: Path) -> list[Entry]:
    data = _read_small(folder / JOURNAL)
    if data is None:
        return []
    out = []
    for line in data.splitlines():
        try:
            entry = Entry.from_record(json.loads(line))
        except (ValueError, RecursionError):  # a torn last line, junk
            continue
        if entry is not None:
            out.append(entry)
    return out


def _append_journal(folder: Path, entry: Entry) -> bool:
    """One line on the journal; False when it cannot take one (a link, a folder in its
    place): it is then rewritten whole, which replaces a link rather than following it."""
    try:
        with open_append_file(folder / JOURNAL, within=folder, text=True) as fh:
            fh.write(json.dumps(entry.to_record()) + "\n")
    except (OSError, UsageError):
        return False
    return True


def _rewrite_journal(folder: Path, found: list[Entry]) -> None:
    text = "".join(json.dumps(e.to_record()) + "\n" for e in found)
    write_file(folder / JOURNAL, text, within=folder)


def _size(path: Path) -> int | None:
    """The file's size; None when there is none (nor a link by that name)."""
    try:
        return os.stat(path, follow_symlinks=False).st_size
    except OSError:
        return None


def _read_small(
    path: Path, limit: int = 2 * MAX_JOURNAL_BYTES + MAX_RUNS * MAX_PATH
) -> bytes | None:
    """A regular file's bytes (no link followed, no FIFO waited on), None when it is missing,
    not a regular file, or larger than any index or journal this module writes."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        return fh.read(limit + 1)[:limit]


@contextmanager
def _locked(folder: Path) -> Iterator[bool]:
    """Hold the index's lock (yields False when another writer holds it past LOCK_WAIT_S)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): writes are still atomic, just not serialised
        yield True
        return
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            yield False
            return
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.01)
        yield True
    finally:
        os.close(fd)  # drops the lock
