"""Errors that reach the user as one line and a defined exit code."""

from __future__ import annotations


class TuiGanError(Exception):
    """An expected failure: the message is shown as is, no traceback."""

    exit_code = 1


class UsageError(TuiGanError):
    """Bad input from the user: a preset, an option, a path (exit code 2)."""

    exit_code = 2


class PresetError(UsageError):
    """A preset file or --set override that does not validate."""


class DataError(UsageError):
    """A data set that cannot be found or read."""


class CheckpointError(UsageError):
    """A checkpoint or run directory that cannot be loaded."""
