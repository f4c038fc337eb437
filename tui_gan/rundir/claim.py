"""Claiming a folder for a new run: made now or empty, never anyone's files cut or replaced."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tui_gan.errors import UsageError
from tui_gan.rundir.names import CLAIM, LAST, TORCHRUN_LOG, TRAIN_LOG
from tui_gan.rundir.read import open_regular
from tui_gan.rundir.write import remove

CLAIM_ENV = "TUI_GAN_CLAIM"  # how a launcher hands its claim to the trainer it starts
# What a launcher writes before its trainer starts: the only files a claimed folder may hold.
_LAUNCHER_FILES = frozenset({CLAIM, TRAIN_LOG, TORCHRUN_LOG})


def _taken(run_dir: Path, names: list[str]) -> UsageError:
    if LAST in names:
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
