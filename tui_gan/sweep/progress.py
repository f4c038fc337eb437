"""A sweep as it stands, read from its folder without torch: `runs` and `attach` show it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_gan.engine import control
from tui_gan.engine import events as ev
from tui_gan.engine.safeio import read_json_object
from tui_gan.engine.state import LIVE_STATES

SWEEP_FILE = "sweep.json"  # the sweep's spec, runs and sessions (runner.Sweep writes it)


@dataclass(frozen=True)
class RunRow:
    name: str
    values: dict[str, Any]
    state: str  # a run state, or "pending" (not started)
    step: int
    total: int | None
    score: float | None  # the last evaluation's FID (1-D runs: W1)


def read_meta(sweep_dir: Path) -> dict[str, Any] | None:
    """sweep.json when it is one (a list of runs, each with a string name)."""
    data = read_json_object(Path(sweep_dir) / SWEEP_FILE)
    if data is None or not isinstance(data.get("runs"), list):
        return None
    runs = [r for r in data["runs"] if isinstance(r, dict) and isinstance(r.get("name"), str)]
    return {**data, "runs": runs}


def is_sweep(path: Path) -> bool:
    return read_meta(path) is not None


# metrics.jsonl path -> (size, mtime_ns, last step, last score): the live table polls every
# second, and only a file that changed since is read again.
_SEEN: dict[Path, tuple[int, int, int, float | None]] = {}


def _progress(metrics: Path) -> tuple[int, float | None]:
    """(last step, last evaluation's score) of a run, from its records."""
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
            score = event.score
        elif isinstance(event, ev.StepMetrics | ev.Finished):
            step = max(step, event.step)
    _SEEN[metrics] = (st.st_size, st.st_mtime_ns, step, score)
    return step, score


def run_rows(sweep_dir: Path, meta: dict[str, Any]) -> list[RunRow]:
    out = []
    for r in meta["runs"]:
        run_dir = Path(sweep_dir) / r["name"]
        values = r.get("values") if isinstance(r.get("values"), dict) else {}
        state = control.run_state(run_dir)
        if state == "unknown":
            out.append(RunRow(r["name"], values, "pending", 0, meta.get("steps"), None))
            continue
        status = control.read_status(run_dir) or {}
        step, score = _progress(run_dir / "metrics.jsonl")
        step = max(step, status.get("step", 0))  # status.json's step is where it started
        total = status.get("total_steps")
        out.append(RunRow(r["name"], values, state, step, total, score))
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
