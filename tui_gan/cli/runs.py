"""`tui-gan runs` and `tui-gan stop`: list run directories, stop a live run."""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

from tui_gan.engine import control
from tui_gan.engine.events import StepMetrics, parse_line
from tui_gan.engine.rundir import RunDir
from tui_gan.engine.safeio import open_regular
from tui_gan.engine.state import LIVE_STATES, Observed
from tui_gan.errors import TuiGanError, UsageError, from_os_error, one_line

COLUMNS = ("run", "preset", "state", "step", "losses", "updated")


def _last_step(metrics: Path) -> StepMetrics | None:
    """The last valid step record; other records (samples every step, say) may follow it
    by the hundred, so the whole file is scanned, parsing only candidate lines."""
    fh = open_regular(metrics, follow=False)
    if fh is None:
        return None
    with fh:
        candidates = deque((ln for ln in fh if b'"type": "step"' in ln), maxlen=50)
    for line in reversed(candidates):
        event = parse_line(line)
        if isinstance(event, StepMetrics):
            return event
    return None


def _losses(last: StepMetrics | None) -> dict[str, float]:
    if last is None:
        return {}
    return {s.label: last.value(s.key) for s in last.family().losses}  # type: ignore[misc]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def list_runs(out: Path) -> list[dict[str, Any]]:
    """One row per run directory under out; a run whose status.json is broken is listed as
    "unreadable" (its other fields unknown), never a reason to stop listing the rest."""
    rows = []
    try:
        folders = sorted(p for p in Path(out).iterdir() if p.is_dir())
    except FileNotFoundError:
        folders = []
    except OSError as err:  # a file, a symlink loop, a folder we may not read
        raise from_os_error(err, out) from None
    for run in folders:
        state = control.run_state(run)
        if state == "unknown":
            sweep = _sweep_row(run)
            if sweep is not None:
                rows.append(sweep)
            continue  # no status.json: not a run directory (classifiers/, say)
        status = control.read_status(run) or {}
        last = _last_step(run / "metrics.jsonl")
        rows.append(
            {
                "name": run.name,
                "path": str(run),
                "preset": status.get("preset"),
                "state": state,
                "step": max(last.step if last else 0, status.get("step", 0)),
                "total": status.get("total_steps"),
                "loss_d": last and last.loss_d,
                "loss_g": last and last.loss_g,
                # The family's two losses by name: G and D, CD and reg, recon and KL.
                "losses": _losses(last),
                "updated": max(status.get("updated", 0), _mtime(run / "metrics.jsonl")),
                "error": status.get("error"),
                "format": RunDir(run).read_format(),
            }
        )
    return rows


def _sweep_row(folder: Path) -> dict[str, Any] | None:
    """A sweep folder as one row: its progress instead of a step, its runs counted by state."""
    from tui_gan.sweep.progress import progress_text, read_meta, run_rows, summary

    meta = read_meta(folder)
    if meta is None:
        return None
    rows = run_rows(folder, meta)
    counts = summary(rows)
    updated = max(
        [_mtime(folder / "sweep.json")] + [_mtime(folder / r.name / "metrics.jsonl") for r in rows]
    )
    preset = meta.get("preset")
    return {
        "name": folder.name,
        "path": str(folder),
        "preset": Path(preset).stem if isinstance(preset, str) else None,
        "state": "sweep",
        "step": counts["finished"],
        "total": len(rows),
        "loss_d": None,
        "loss_g": None,
        "losses": {},
        "updated": updated,
        "error": None,
        "format": None,
        "sweep": {**counts, "progress": progress_text(counts, len(rows))},
    }


def _ago(t: float) -> str:
    s = max(0, int(time.time() - t))
    if s < 60:
        return f"{s}s ago"
    if s < 3600:
        return f"{s // 60}m ago"
    if s < 86400:
        return f"{s // 3600}h ago"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def _cells(r: dict[str, Any]) -> list[str]:
    """A row as text; names come from the file system and status.json, so control characters
    (and anything a terminal would act on) are shown escaped, and spaces as '_'."""
    step = f"{r['step']}/{r['total']}" if r["total"] else str(r["step"])
    if r.get("sweep"):
        step = r["sweep"]["progress"]
    updated = _ago(r["updated"]) if r["updated"] else "--"
    name, preset = (one_line(v).replace(" ", "_") for v in (r["name"], r["preset"] or "?"))
    # One word (G=1.204,D=0.693): a pipe's reader splits rows on spaces.
    losses = ",".join(f"{k.replace(' loss', '')}={v:.3f}" for k, v in r["losses"].items())
    return [name, preset, r["state"], step, losses or "--", updated]


def run_runs(out: Path, as_json: bool = False) -> None:
    rows = list_runs(out)
    for r in rows:
        if r.get("sweep"):
            continue  # a sweep's runs are checked when they are opened
        problem = RunDir(Path(r["path"])).format_problem(r["format"])
        if problem:
            print(f"note: {one_line(problem)}", file=sys.stderr)
    if as_json:
        print(json.dumps(rows))
        return
    if not rows:
        print(one_line(f"no runs under {out}"))
        return
    if not sys.stdout.isatty():
        # For grep, awk and logs: whole values, space-aligned, no colour, never cut to 80 columns.
        table = [list(COLUMNS), *(_cells(r) for r in rows)]
        widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
        for row in table:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in COLUMNS:
        right = col in ("step", "losses")
        table.add_column(col, justify="right" if right else "left", no_wrap=True)
    colours: dict[Observed, str] = {
        "running": "green",
        "paused": "yellow",
        "failed": "red",
        "finished": "blue",
        "sweep": "cyan",
    }
    for r in rows:
        cells = [escape(c) for c in _cells(r)]  # "[red]x" is a run's name, not markup
        cells[2] = f"[{colours.get(r['state'], 'magenta')}]{r['state']}"
        table.add_row(*cells)
    Console().print(table)


def run_stop(run_dir: Path, timeout: float) -> None:
    """Ask a live run to save and stop; exit 0 only once it has, with a checkpoint that loads
    (a trainer killed on the way is one line and exit 1, naming what is left to resume)."""
    from tui_gan.stopping import stop_outcome

    state = control.run_state(run_dir)
    if state == "unknown":
        raise UsageError(f"{run_dir}: not a tui-gan run directory (no status.json)")
    if state == "unreadable":
        raise UsageError(f"{run_dir}: status.json is unreadable; the run cannot be steered")
    if state not in LIVE_STATES:
        print(one_line(f"{run_dir}: not running ({state})"))
        return
    if not control.request(run_dir, stop=True):
        raise UsageError(control.why_not_live(run_dir))
    deadline = time.monotonic() + timeout
    while control.run_state(run_dir) in LIVE_STATES:
        if time.monotonic() > deadline:
            raise UsageError(f"{run_dir}: still running after {timeout:.0f}s; try again")
        time.sleep(0.1)
    outcome = stop_outcome(run_dir)
    if not outcome.ok:
        raise TuiGanError(outcome.line)
    print(outcome.line)
