"""What a metrics.jsonl record may hold: every reader checks a line here before using it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from tui_gan.engine.safeio import is_count, is_number, open_regular

MAX_LIST = 100_000  # histograms, curves and class counts are far shorter than this
ENDED = ("finished", "stopped", "interrupted")

Check = Callable[[Any], bool]


def _text(v: Any) -> bool:
    return isinstance(v, str) and len(v) <= 10_000


def _numbers(v: Any) -> bool:
    return isinstance(v, list) and 0 < len(v) <= MAX_LIST and all(is_number(x) for x in v)


def _counts(v: Any) -> bool:
    return isinstance(v, list) and 0 < len(v) <= MAX_LIST and all(is_count(x) for x in v)


def _run_file(v: Any) -> bool:
    """A path inside the run directory, as the trainer writes it: relative, no '..'."""
    if not _text(v) or not v or "\x00" in v:
        return False
    p = PurePosixPath(v)
    return not p.is_absolute() and ".." not in p.parts


def _positive(v: Any) -> bool:
    return is_count(v) and v > 0


_TIMED = {"step": is_count, "epoch": is_number, "time": is_number}
_EVAL_NUMBERS = ("fid precision recall density coverage class_entropy class_kl w1 ks").split()

# type -> (required fields, optional fields); a field present must pass its check.
SCHEMA: dict[str, tuple[dict[str, Check], dict[str, Check]]] = {
    "start": (
        {"step": is_count, "total_steps": is_count},
        {"device": _text, "time": is_number},
    ),
    "step": (
        {
            **_TIMED,
            "loss_d": is_number,
            "loss_g": is_number,
            "d_real": is_number,
            "d_fake": is_number,
        },
        {"img_per_s": is_number},
    ),
    "samples": (
        {**_TIMED, "path": _run_file},
        {
            "nrow": _positive,
            "class_counts": _counts,
            "class_entropy": is_number,
            "classes_covered": is_count,
            "n": is_count,
        },
    ),
    "toy1d": (
        {
            **_TIMED,
            "bin_edges": _numbers,
            "real_hist": _numbers,
            "fake_hist": _numbers,
            "x_grid": _numbers,
            "d_curve": _numbers,
        },
        {"n": is_count},
    ),
    "eval": (
        {"step": is_count},
        {
            **{k: is_number for k in _EVAL_NUMBERS},
            "epoch": is_number,
            "time": is_number,
            "class_counts": _counts,
            "classes_covered": is_count,
            "n": is_count,
            "n_real": is_count,
            "n_prdc": is_count,
            "fid_features": _text,
        },
    ),
    "checkpoint": ({"step": is_count, "path": _run_file}, {"time": is_number}),
    "paused": ({"step": is_count}, {"time": is_number}),
    "resumed": ({"step": is_count}, {"time": is_number}),
    "finished": (
        {"step": is_count, "state": lambda v: v in ENDED},
        {"time": is_number, "img_per_s": is_number},
    ),
    "notice": ({"step": is_count, "message": _text}, {"level": _text}),
    "failed": ({"step": is_count, "error": _text}, {}),
}


def _consistent(rec: dict[str, Any]) -> bool:
    """Cross-field rules the widgets rely on."""
    if rec["type"] == "toy1d":
        bins = len(rec["bin_edges"]) - 1
        return (
            bins >= 1
            and len(rec["real_hist"]) == bins == len(rec["fake_hist"])
            and len(rec["x_grid"]) == len(rec["d_curve"])
        )
    if rec["type"] == "eval":
        return "fid" in rec or "w1" in rec
    if rec["type"] == "samples" and "class_counts" in rec:  # the classes panel reads all three
        return "class_entropy" in rec and "classes_covered" in rec
    return True


def check_record(obj: Any) -> dict[str, Any] | None:
    """The record if it is one we can use, else None (a junk line, a foreign or newer record).

    Fields a record type does not name pass through untouched: a newer tui-gan may add some.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        return None
    spec = SCHEMA.get(obj["type"])
    if spec is None:
        return None
    required, optional = spec
    for key, ok in required.items():
        if key not in obj or not ok(obj[key]):
            return None
    for key, ok in optional.items():
        if key in obj and not ok(obj[key]):
            return None
    return obj if _consistent(obj) else None


def parse_line(line: bytes | str) -> dict[str, Any] | None:
    """One metrics.jsonl line as a checked record, or None."""
    try:
        return check_record(json.loads(line))
    except (ValueError, RecursionError):  # bad JSON or UTF-8, or nested thousands deep
        return None


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every usable record of a metrics.jsonl, in order; bad lines are skipped."""
    fh = open_regular(path)
    if fh is None:
        return
    with fh:
        for line in fh:
            rec = parse_line(line)
            if rec is not None:
                yield rec
