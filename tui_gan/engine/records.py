"""The run's records in its metrics.jsonl: appended as the loop yields them, cut back on resume."""

from __future__ import annotations

import json

from tui_gan.engine.events import REGISTRY, Event, Failed, Finished, parse_line, to_line
from tui_gan.rundir.folder import RunDir
from tui_gan.rundir.read import is_step

_ENDS = (Finished.TYPE, Failed.TYPE)


def log(rd: RunDir, event: Event) -> None:
    """Append one record to the run's metrics.jsonl."""
    rd.append(to_line(event))


def _record_step(line: bytes) -> tuple[str, int] | None:
    """(type, step) of a line worth keeping: a valid record, or one of a type this tui-gan
    does not know (a newer one's) that has a step; None for junk."""
    event = parse_line(line)
    if event is not None:
        return event.TYPE, event.step
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or obj.get("type") in REGISTRY or not is_step(obj.get("step")):
        return None  # junk, or a known type that fails its checks
    return str(obj.get("type")), obj["step"]


def truncate_after(rd: RunDir, step: int) -> None:
    """Drop the records past `step` (a resume writes them again; -1: all, a fresh start),
    the end records, and lines that are no record (cut short by a crash, or junk). Lines
    are kept as written: a newer tui-gan's fields and record types survive."""

    def keep(line: bytes) -> bool:
        rec = _record_step(line)
        return rec is not None and rec[1] <= step and rec[0] not in _ENDS

    rd.keep_records(keep)
