"""A sweep as it stands, read from its folder without torch: `runs` and `attach` show it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_gan.engine import events as ev
from tui_gan.rundir.names import LAST, METRICS, STATUS, SWEEP
from tui_gan.rundir.read import read_json_object
from tui_gan.rundir.state import LIVE_STATES
from tui_gan.rundir.status import read_status, run_state

# What a run is scored by, by the key of its evaluation: FID, or W1 for a 1-D run (whose
# records have no FID); sweep.md ranks the runs by the same.
SCORES = {"fid": "FID", "w1": "W1"}


@dataclass(frozen=True)
class RunRow:
    name: str
    values: dict[str, Any]
    state: str  # a run state, or "pending" (not started)
    step: int
    total: int | None
    score: float | None  # the last evaluation's score, named by `metric`
    metric: str | None = None  # "FID", "W1" (1-D runs), or None before an evaluation


def score_of(values: Mapping[str, Any]) -> tuple[str, float] | None:
    """(metric, value) of an evaluation's numbers (an eval record, a sweep.csv row): FID, or
    a 1-D run's W1; None without either."""
    for key, metric in SCORES.items():
        v = values.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return metric, float(v)
    return None


def score_cell(metric: str | None, value: float | None) -> str:
    """The value at the precision its metric needs: FID 12.3, W1 0.045 ("--": none yet)."""
    if value is None:
        return "--"
    return f"{value:.1f}" if metric in (None, "FID") else f"{value:.3f}"


def score_text(metric: str, value: float) -> str:
    """A run's score named by its metric, for a progress line: "FID 12.3", "W1 0.045"."""
    return f"{metric} {score_cell(metric, value)}"


STALE_S = 1800  # a run on another host silent this long (not paused) is taken for dead


def run_status(run_dir: Path) -> str:
    """finished | live | resumable (a checkpoint to continue) | new (nothing to keep)."""
    state = run_state(run_dir)
    if state == "finished":
        return "finished"
    if state in LIVE_STATES and not _stale(run_dir, state):
        return "live"
    return "resumable" if (run_dir / LAST).is_file() else "new"


def _stale(run_dir: Path, state: str) -> bool:
    """A live state on another host (a Slurm node) cannot be checked by its lock: a job
    killed with its node leaves it for ever. Silence says it: a running trainer appends a
    record every log_every steps. A run on this host is judged by its lock instead."""
    import socket

    status = read_status(run_dir)
    if state == "paused" or status is None or status.host in (None, socket.gethostname()):
        return False
    newest = 0.0
    for name in (METRICS, STATUS):
        try:
            newest = max(newest, (run_dir / name).stat().st_mtime)
        except OSError:
            pass
    return time.time() - newest > STALE_S


def sweep_metric(meta: dict[str, Any]) -> str:
    """What the sweep's runs are scored by, before any has been: W1 when its preset (with
    the first run's overrides) trains on the 1-D data set, else FID; "score" when the preset
    cannot be read here."""
    from tui_gan.errors import TuiGanError
    from tui_gan.presets import load_preset

    preset = meta.get("preset")
    runs = meta.get("runs") or [{}]
    sets = runs[0].get("set") if isinstance(runs[0].get("set"), list) else []
    try:
        loaded = load_preset(
            preset if isinstance(preset, str) else None,
            tuple(s for s in sets if isinstance(s, str)),
        )
    except (TuiGanError, OSError):
        return "score"
    return "W1" if loaded.data.name == "toy1d" else "FID"


def read_meta(sweep_dir: Path) -> dict[str, Any] | None:
    """sweep.json when it is one (a list of runs, each with a string name)."""
    data = read_json_object(Path(sweep_dir) / SWEEP)
    if data is None or not isinstance(data.get("runs"), list):
        return None
    runs = [r for r in data["runs"] if isinstance(r, dict) and isinstance(r.get("name"), str)]
    return {**data, "runs": runs}


def is_sweep(path: Path) -> bool:
    return read_meta(path) is not None


# metrics.jsonl path -> (size, mtime_ns, last step, last score): the live table polls every
# second, and only a file that changed since is read again.
_SEEN: dict[Path, tuple[int, int, int, tuple[str, float] | None]] = {}


def _progress(metrics: Path) -> tuple[int, tuple[str, float] | None]:
    """(last step, last evaluation's (metric, score)) of a run, from its records."""
    try:
        st = metrics.stat()
    except OSError:
        return 0, None
    seen = _SEEN.get(metrics)
    if seen is not None and seen[:2] == (st.st_size, st.st_mtime_ns):
        return seen[2], seen[3]
    score, step = None, 0
    for event in ev.iter_events(metrics):
        if isinstance(event, ev.Evaluated):
            score = score_of({"fid": event.fid, "w1": event.w1})
        elif isinstance(event, ev.StepMetrics | ev.Finished):
            step = max(step, event.step)
    _SEEN[metrics] = (st.st_size, st.st_mtime_ns, step, score)
    return step, score


def run_rows(sweep_dir: Path, meta: dict[str, Any]) -> list[RunRow]:
    out = []
    for r in meta["runs"]:
        run_dir = Path(sweep_dir) / r["name"]
        values = r.get("values") if isinstance(r.get("values"), dict) else {}
        state = run_state(run_dir)
        if state == "unknown":
            out.append(RunRow(r["name"], values, "pending", 0, meta.get("steps"), None))
            continue
        status = read_status(run_dir)
        step, score = _progress(run_dir / METRICS)
        if status is not None and status.step is not None:
            step = max(step, status.step)  # status.json's step is where it started
        total = status.total_steps if status is not None else None
        metric, value = score or (None, None)
        out.append(RunRow(r["name"], values, state, step, total, value, metric))
    return out


def summary(rows: list[RunRow]) -> dict[str, int]:
    """How many runs are finished, live, waiting to start or resume, and failed."""
    counts = {"finished": 0, "live": 0, "pending": 0, "failed": 0, "stopped": 0}
    for r in rows:
        if r.state in LIVE_STATES:
            counts["live"] += 1
        elif r.state in ("finished", "pending", "failed"):
            counts[r.state] += 1
        else:  # stopped or interrupted: a re-run resumes it
            counts["stopped"] += 1
    return counts


def progress_text(counts: dict[str, int], total: int) -> str:
    parts = [f"{counts['finished']}/{total} finished"]
    for key, word in (("live", "running"), ("stopped", "stopped"), ("failed", "failed")):
        if counts[key]:
            parts.append(f"{counts[key]} {word}")
    return ", ".join(parts)
